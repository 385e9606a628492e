// The edge bot's claim history (issue 17): every journal entry kept for
// JOURNAL_RETENTION_DAYS (default 90), `GET /claims?state=&since=&cursor=&limit=` paged
// and filtered, CSV export, and compaction that drops old final entries only. The
// bot's storage is seeded directly (10,000 entries through the simulator would be slow).
import { test, beforeEach, afterEach, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startSim, until, ROOT, KEY } from "./sim.mjs";
import { startEdge, cleanDirs } from "./edge-harness.mjs";

const TEST_WORKER = path.join(ROOT, "tests/js/edge-test-worker.mjs");
const DAY = 86_400_000;

let sim;
beforeEach(async () => {
  sim = await startSim();
});
afterEach(async () => {
  await sim?.stop();
});
after(cleanDirs);

const startBot = (bindings = {}, dir) => startEdge(sim, { script: TEST_WORKER, dir, bindings: { LP_KEY: KEY, ...bindings }, extra: { durableObjects: { LP_BOT: "TestBot", LP_FLEET: "BotRegistry" } } });

/** A journal entry as the engine writes one, final at `finalAt` (or not final). */
function entry(id, state, at, { final = true, error = null } = {}) {
  return {
    id, mode: "live", state, currency: id % 2 ? "KES" : "NGN", amount_fiat: 1000 + id, amount_usd: 7.5, crypto_symbol: "USDT", crypto_chain: "TRX",
    received_at: at - 50, seen_at: at - 50, claim_started_at: at - 40, updated_at: at, final_at: final ? at : null, verdict: "claim",
    attempts: 1, error, gone: null, owner: state === "lost" ? 90 : null, reconcile_count: 1, fiat_sent_requested_at: null, open_seen_at: null, outcome: null,
  };
}

/** The default bot's object, for the test Worker's seeding RPC. */
async function object(bot) {
  const ns = await bot.mf.getDurableObjectNamespace("LP_BOT");
  return ns.get(ns.idFromName("primary"));
}

test("edge history: 10,000 entries paged with a cursor, filtered by state and since, exported as CSV", async () => {
  const bot = await startBot();
  try {
    const now = Date.now();
    const T0 = now - 10 * DAY;
    const all = [];
    for (let id = 1; id <= 10_000; id++) {
      const error = id === 7 ? { kind: "server", message: 'said "no", twice', at: T0 } : null;
      all.push(entry(id, id % 2 ? "completed" : "lost", T0 + id * 60_000, { error }));
    }
    const obj = await object(bot);
    for (let i = 0; i < all.length; i += 2000) await obj.testSeed(all.slice(i, i + 2000));
    await until(async () => (await bot.status()).connected === true, 10000, "live");
    assert.equal((await bot.status()).journal_entries, 10_000, "the engine loaded them all");

    // Every entry exactly once, in id order, over pages of 1000.
    const seen = [];
    let cursor = null;
    let pages = 0;
    do {
      const r = await bot.call("GET", `/claims?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(r.status, 200);
      seen.push(...r.body.entries.map((e) => e.id));
      cursor = r.body.next;
      pages++;
    } while (cursor !== null && pages < 20);
    assert.equal(pages, 10);
    assert.deepEqual(seen, all.map((e) => e.id));
    // The default page, and a filter: only `lost`, only changed since a time.
    const first = await bot.call("GET", "/claims");
    assert.equal(first.body.entries.length, 100);
    assert.equal(first.body.next, "100");
    const lost = [];
    cursor = null;
    do {
      const r = await bot.call("GET", `/claims?state=lost&limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      lost.push(...r.body.entries);
      cursor = r.body.next;
    } while (cursor !== null);
    assert.equal(lost.length, 5000);
    assert.ok(lost.every((e) => e.state === "lost" && e.id % 2 === 0));
    const since = T0 + 9_001 * 60_000;
    const recent = await bot.call("GET", `/claims?since=${since}&limit=1000`);
    assert.deepEqual(recent.body.entries.map((e) => e.id), all.filter((e) => e.updated_at >= since).map((e) => e.id));
    assert.equal(recent.body.next, null);
    const iso = await bot.call("GET", `/claims?since=${new Date(since).toISOString()}&state=completed&limit=1000`);
    assert.equal(iso.body.entries.length, 500);
    // CSV: a header, one row per entry, quoted cells, the cursor in a header.
    const csv = await bot.call("GET", "/claims?format=csv&limit=10");
    assert.match(csv.headers.get("content-type"), /^text\/csv/);
    assert.equal(csv.headers.get("x-next-cursor"), "10");
    const rows = csv.body.trimEnd().split("\r\n");
    assert.equal(rows.length, 11);
    assert.match(rows[0], /^id,mode,state,currency,amount_fiat,/);
    assert.match(rows[1], /^1,live,completed,KES,1001,/);
    assert.ok(rows[7].includes('"{""kind"":""server"",""message"":""said \\""no\\"", twice""'), rows[7]);
    // Bad parameters are named, never a 500.
    for (const q of ["state=bogus", "cursor=-1", "limit=0", "limit=5000", "since=yesterday"]) {
      const r = await bot.call("GET", `/claims?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.body.error, new RegExp(q.split("=")[0]));
    }
  } finally {
    await bot.mf.dispose();
  }
});

test("edge history: compaction drops final entries past JOURNAL_RETENTION_DAYS (default 90), never a non-final one", async () => {
  const now = Date.now();
  const seeded = [
    entry(1, "completed", now - 100 * DAY), // past 90 days: dropped
    entry(2, "lost", now - 80 * DAY), // within 90, past 30
    entry(3, "completed", now - 1 * DAY), // recent
    entry(4, "claimed", now - 200 * DAY, { final: false }), // not final: never dropped
  ];
  const bot = await startBot();
  const dir = bot.dir;
  let again;
  try {
    await (await object(bot)).testSeed(seeded);
    await until(async () => (await bot.status()).connected === true, 10000, "live");
    await until(async () => !(await (await object(bot)).testStoredIds()).includes(1), 5000, "compaction");
    assert.deepEqual((await (await object(bot)).testStoredIds()).sort(), [2, 3, 4]);
    assert.ok(bot.lines().some((l) => l.event === "compacted" && l.dropped === 1));
    await bot.mf.dispose();
    // A shorter retention, configured: the 80-day entry goes too; the non-final one stays.
    again = await startBot({ JOURNAL_RETENTION_DAYS: "30" }, dir);
    await until(async () => (await again.status()).connected === true, 10000, "live again");
    await until(async () => !(await (await object(again)).testStoredIds()).includes(2), 5000, "compaction at 30 days");
    const ids = (await (await object(again)).testStoredIds()).sort();
    assert.deepEqual(ids, [3, 4]);
  } finally {
    await bot.mf.dispose().catch(() => {});
    await again?.mf.dispose();
  }
});
