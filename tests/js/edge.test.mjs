// The edge bot (edge/, wrangler.toml) in workerd through Miniflare, against rampwire-sim:
// the bot engine in a Durable Object, its journal in the object's storage.
import { test, beforeEach, afterEach, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startSim, until, ROOT, KEY, KEY2 } from "./sim.mjs";
import { startEdge, cleanDirs, TOKEN } from "./edge-harness.mjs";

// A simulator of its own per test: no order of another test is open in a bot's `init`.
let sim;
beforeEach(async () => {
  sim = await startSim(["--complete-after-ms", "300"]);
});
afterEach(async () => {
  await sim?.stop();
});
after(cleanDirs);

/** The default bot in its own workerd, with a persistence directory that survives a restart. */
const startBot = ({ key = KEY, vars = {}, dir } = {}) => startEdge(sim, { bindings: { LP_KEY: key, ...vars }, dir });

async function live(bot) {
  await until(async () => (await bot.status()).connected === true, 10000, "the bot to go live");
}

const entry = async (bot, id) => (await bot.claims()).find((c) => c.id === id);

test("edge: a fresh bot starts from empty storage, claims a matching order, skips the rest, fiat-sent completes it", async () => {
  const bot = await startBot();
  try {
    await live(bot);
    const s = await bot.status();
    assert.equal(s.lp_id, 12);
    assert.equal(s.journal_entries, 0, "no ghost claims from a committed storage");
    assert.equal(s.state, "live");
    const good = await sim.order({ currency: "KES", amount_fiat: 5000 });
    const wrongCurrency = await sim.order({ currency: "GHS", amount_fiat: 100 });
    const tooBig = await sim.order({ currency: "KES", amount_fiat: 25000 });
    await until(async () => (await entry(bot, good.id))?.state === "claimed", 5000, "the claim");
    await new Promise((r) => setTimeout(r, 300));
    for (const o of [wrongCurrency, tooBig]) {
      assert.equal((await sim.get(`/_sim/orders/${o.id}`)).status, "open", `not claimed: ${o.currency} ${o.amount_fiat}`);
      assert.equal(await entry(bot, o.id), undefined, "skips are logged, not journaled");
    }
    const r = await bot.call("POST", `/claims/${good.id}/fiat-sent`);
    assert.equal(r.status, 200);
    await until(async () => (await sim.get(`/_sim/orders/${good.id}`)).status === "completed", 5000, "completion");
    await until(async () => (await entry(bot, good.id)).state === "completed", 8000, "the bot to see completion");
    // One JSON line per event, never the key.
    const lines = bot.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    for (const ev of ["claim_sent", "claim_outcome", "order_seen", "fiat_sent"]) assert.ok(lines.some((l) => l.event === ev), `a ${ev} log line`);
    assert.ok(!bot.logs.some((l) => l.includes(KEY)), "the key is in no log line");
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: a new bot is in DRY RUN unless told: it journals would-claims and sends no claim", async () => {
  const bot = await startBot({ vars: { DRY_RUN: "" } });
  try {
    await live(bot);
    const s = await bot.status();
    assert.equal(s.state, "dry_run");
    assert.match(s.banner, /DRY RUN/);
    const o = await sim.order({ currency: "KES", amount_fiat: 5000 });
    await until(async () => (await entry(bot, o.id))?.mode === "dry_run", 5000, "the would-claim");
    const posts = (await sim.get("/_sim/requests")).filter((l) => l === `POST /api/orders/${o.id}/claim`);
    assert.deepEqual(posts, []);
    assert.equal((await bot.status()).open_claims, 0);
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: dry run through a restart and a resync claims nothing; go-live and back to dry run are journaled (command, time), kept across restarts, and no dry-run entry becomes a claim", async () => {
  // Room for every would-claim (dry run counts its own open ones against the limit too).
  const vars = { DRY_RUN: "", MAX_OPEN_CLAIMS: "10" };
  let bot = await startBot({ vars });
  const dir = bot.dir;
  const claimPosts = async () => (await sim.get("/_sim/requests")).filter((l) => /^POST \/api\/orders\/\d+\/claim$/.test(l));
  try {
    await live(bot);
    const before = await sim.order({ currency: "KES", amount_fiat: 5000 });
    await until(async () => (await entry(bot, before.id))?.mode === "dry_run", 5000, "the first would-claim");
    // Down while an order is made: the restarted bot hears of it only in its init (a resync).
    await bot.mf.dispose();
    const during = await sim.order({ currency: "KES", amount_fiat: 5100 });
    bot = await startBot({ vars, dir });
    await live(bot);
    assert.equal((await bot.status()).state, "dry_run", "a restart keeps dry run");
    await until(async () => (await entry(bot, during.id))?.mode === "dry_run", 8000, "the resync's order as a would-claim");
    assert.deepEqual(await claimPosts(), [], "no claim through a restart and a resync");
    // Live by command: journaled with its source and time; the dry-run entries stay what they were.
    const t0 = Date.now();
    const goLive = await bot.call("POST", "/go-live");
    assert.equal(goLive.status, 200);
    let s = await bot.status();
    assert.equal(s.state, "live");
    const switched = s.mode_history?.[0];
    assert.ok(switched && switched.mode === "live" && switched.source === "command", JSON.stringify(s.mode_history));
    assert.ok(Math.abs(Number(switched.at_ms ?? switched.at ?? Date.parse(switched.time)) - t0) < 60_000, `the switch's time: ${JSON.stringify(switched)}`);
    for (const o of [before, during]) {
      const e = await entry(bot, o.id);
      assert.equal(e.mode, "dry_run", `order ${o.id} stays a dry-run entry`);
      assert.notEqual(e.state, "claimed", `order ${o.id}: a dry-run entry is never reconciled as a claim`);
    }
    assert.equal(s.open_claims, 0, "dry-run entries hold no collateral");
    const liveOrder = await sim.order({ currency: "KES", amount_fiat: 5200 });
    await until(async () => (await entry(bot, liveOrder.id))?.state === "claimed", 8000, "the live claim");
    assert.deepEqual(await claimPosts(), [`POST /api/orders/${liveOrder.id}/claim`], "exactly one claim, the live one");
    // Back to dry run by command, then a restart: still dry run, the history kept.
    assert.equal((await bot.call("POST", "/go-dry-run")).status, 200);
    const after = await sim.order({ currency: "KES", amount_fiat: 5300 });
    await until(async () => (await entry(bot, after.id))?.mode === "dry_run", 5000, "a would-claim again");
    await bot.mf.dispose();
    bot = await startBot({ vars, dir });
    await live(bot);
    s = await bot.status();
    assert.equal(s.state, "dry_run", "the command's dry run outlives a restart (the setting did not change)");
    const sources = (s.mode_history ?? []).filter((r) => r.source === "command").map((r) => r.mode);
    assert.deepEqual(sources.slice(0, 2), ["dry_run", "live"], JSON.stringify(s.mode_history));
    const last = await sim.order({ currency: "KES", amount_fiat: 5400 });
    await until(async () => (await entry(bot, last.id))?.mode === "dry_run", 8000, "a would-claim after the restart");
    assert.deepEqual(await claimPosts(), [`POST /api/orders/${liveOrder.id}/claim`], "still only the live one");
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: the collateral limit stops claiming at MAX_OPEN_CLAIMS", async () => {
  const bot = await startBot({ vars: { MAX_OPEN_CLAIMS: "2" } });
  try {
    await live(bot);
    const orders = [];
    for (let i = 0; i < 4; i++) orders.push(await sim.order({ currency: "NGN", amount_fiat: 1000 + i }));
    await until(async () => (await bot.status()).open_claims === 2, 5000, "two open claims");
    await new Promise((r) => setTimeout(r, 500));
    const mine = (await sim.get("/_sim/orders")).filter((o) => orders.some((x) => x.id === o.id) && o.lp_id === 12);
    assert.equal(mine.length, 2, "exactly two claimed");
    assert.equal((await bot.status()).open_claims, 2);
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: two bots with different keys race; exactly one wins", async () => {
  const a = await startBot({ key: KEY });
  const b = await startBot({ key: KEY2 });
  try {
    await Promise.all([live(a), live(b)]);
    const o = await sim.order({ currency: "KES", amount_fiat: 3000 });
    const settled = async (bot) => ["claimed", "lost"].includes((await entry(bot, o.id))?.state);
    await until(async () => (await settled(a)) && (await settled(b)), 8000, "both outcomes");
    const states = [(await entry(a, o.id)).state, (await entry(b, o.id)).state].sort();
    assert.deepEqual(states, ["claimed", "lost"]);
    const info = await sim.get(`/_sim/orders/${o.id}`);
    assert.equal(info.claims.filter((c) => c.won).length, 1);
  } finally {
    await a.mf.dispose();
    await b.mf.dispose();
  }
});

test("edge: a reset mid-claim and a reset mid-fiat-sent reconcile without a lost or double request", async () => {
  const bot = await startBot();
  const dir = bot.dir;
  let restarted;
  try {
    await live(bot);
    // The server commits the claim at once but holds its answer: the bot has journaled
    // "pending" and is waiting when it is reset (as a deploy does).
    await sim.post("/_sim/faults", { rest_hold_ms: 3000, rest_hold_count: 1 });
    const o = await sim.order({ currency: "KES", amount_fiat: 4000 });
    await until(async () => (await sim.get(`/_sim/orders/${o.id}`)).lp_id === 12, 5000, "the claim to reach the server");
    assert.equal((await entry(bot, o.id)).state, "pending", "journaled, outcome unknown");
    await bot.mf.dispose();
    restarted = await startBot({ dir });
    await until(async () => (await entry(restarted, o.id))?.state === "claimed", 10000, "reconciliation");
    assert.equal((await sim.get(`/_sim/orders/${o.id}`)).claims.length, 1, "claimed once, never again");
    // Now fiat-sent, its answer held, and a reset.
    await sim.post("/_sim/faults", { rest_hold_ms: 3000, rest_hold_count: 1 });
    const fs = restarted.call("POST", `/claims/${o.id}/fiat-sent`);
    await until(async () => (await sim.get(`/_sim/orders/${o.id}`)).status !== "claimed", 5000, "fiat-sent to reach the server");
    await restarted.mf.dispose().catch(() => {});
    await fs.catch(() => {});
    await sim.post("/_sim/faults", {});
    restarted = await startBot({ dir });
    await until(async () => ["fiat_sent", "completed"].includes((await entry(restarted, o.id))?.state), 10000, "the fiat-sent found by reconciliation");
    await until(async () => (await entry(restarted, o.id))?.state === "completed", 10000, "then completed");
    assert.equal((await restarted.status()).open_claims, 0, "no collateral slot lost");
  } finally {
    await sim.post("/_sim/faults", {});
    await restarted?.mf.dispose();
  }
});

test("edge: survives a simulator drop and keeps claiming", async () => {
  const bot = await startBot();
  try {
    await live(bot);
    await sim.post("/_sim/drop", { mode: "abort" });
    await until(async () => (await bot.status()).connected !== true, 5000, "the bot to notice the drop");
    await live(bot);
    const o = await sim.order({ currency: "NGN", amount_fiat: 2000 });
    await until(async () => (await entry(bot, o.id))?.state === "claimed", 5000, "a claim after the drop");
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: the operator API needs the Bearer scheme; pause and resume", async () => {
  const bot = await startBot();
  try {
    for (const auth of ["Bearer wrong", "", `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`, `bearer  ${TOKEN}`, null]) {
      const r = await bot.call("GET", "/status", { auth });
      assert.equal(r.status, 401, String(auth));
      assert.deepEqual(r.body, { error: "unauthorized" });
    }
    await live(bot);
    const p = await bot.call("POST", "/pause");
    assert.equal(p.body.state, "paused");
    const o = await sim.order({ currency: "KES", amount_fiat: 1000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await sim.get(`/_sim/orders/${o.id}`)).status, "open", "paused: no claims");
    const r = await bot.call("POST", "/resume");
    assert.equal(r.status, 200);
    await live(bot);
    await until(async () => (await entry(bot, o.id))?.state === "claimed", 8000, "the snapshot order claimed after resume");
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: a bad setting stops the bot and /status says which and why (never HTTP 500)", async () => {
  for (const [vars, word] of [
    [{ MAX_AMOUNT: "KES:20000" }, "NGN"],
    [{ MAX_OPEN_CLAIMS: "0" }, "MAX_OPEN_CLAIMS"],
    [{ MAX_OPEN_CLAIMS: "1e3" }, "MAX_OPEN_CLAIMS"],
    [{ ALLOWED_CURRENCIES: "" }, "ALLOWED_CURRENCIES"],
    [{ DAILY_USD_CAP: "lots" }, "DAILY_USD_CAP"],
    [{ MAX_AMOUNT: "KES:0x10,NGN:5" }, "MAX_AMOUNT"],
    [{ REQUEST_TIMEOUT_MS: "1e12" }, "REQUEST_TIMEOUT_MS"],
    [{ HEARTBEAT_MS: "5" }, "HEARTBEAT_MS"],
    [{ API_URL: "ftp://example.com" }, "API_URL"],
  ]) {
    const bad = await startBot({ vars });
    try {
      const r = await bad.call("GET", "/status");
      assert.equal(r.status, 200, JSON.stringify(vars));
      assert.equal(r.body.state, "stopped", JSON.stringify(vars));
      assert.match(r.body.setupError, new RegExp(word), JSON.stringify(vars));
    } finally {
      await bad.mf.dispose();
    }
  }
});

test("edge: a refused key: one attempt, then stopped; polling /status opens no socket", async () => {
  const count = async () => (await sim.get("/_sim/requests")).filter((l) => l.startsWith("GET /ws/orders")).length;
  const before = await count();
  const bot = await startBot({ key: "lp_refused_key" });
  try {
    await until(async () => (await bot.status()).state === "stopped", 8000, "the bot to stop");
    for (let i = 0; i < 10; i++) await bot.status();
    await new Promise((r) => setTimeout(r, 1500)); // an alarm or two
    assert.equal((await count()) - before, 1, "one socket attempt in all");
    const s = await bot.status();
    assert.match(s.stopped.reason, /refused|Invalid|key/i);
    assert.ok(!JSON.stringify(s).includes("lp_refused_key"));
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: wrangler bundles offline, far under the Workers free-plan size limit", async () => {
  const out = path.join(ROOT, "target/edge-dist");
  const { stdout } = await promisify(execFile)(path.join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(stdout);
  assert.ok(m, stdout);
  const gzipKiB = Number(m[2]);
  console.log(`edge bundle: ${m[1]} KiB, gzip ${m[2]} KiB (free plan: 3072 KiB compressed)`);
  assert.ok(gzipKiB < 3072 / 4, `gzip ${gzipKiB} KiB is under a quarter of the 3 MiB limit`);
});
