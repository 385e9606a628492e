// The edge bot (edge/, wrangler.toml) in workerd through Miniflare, against rampwire-sim.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startSim, until, ROOT, KEY, KEY2 } from "./sim.mjs";
import { workerd } from "./workerd.mjs";

const TOKEN = "op-token-for-tests";
const POLICY = {
  ALLOWED_CURRENCIES: "KES,NGN",
  MAX_AMOUNT: "KES:20000,NGN:150000",
  MAX_OPEN_CLAIMS: "3",
  DAILY_USD_CAP: "100000",
};

let sim;
const dirs = [];
before(async () => {
  sim = await startSim(["--complete-after-ms", "300"]);
});
after(async () => {
  await sim?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A bot in its own workerd, with a persistence directory that survives a restart. */
async function startBot({ key = KEY, vars = {}, dir } = {}) {
  dir ??= mkdtempSync(path.join(tmpdir(), "lpbot-"));
  dirs.push(dir);
  const mf = await workerd(path.join(ROOT, "edge/worker.mjs"),
    { API_URL: sim.base, LP_KEY: key, OPERATOR_TOKEN: TOKEN, WATCHDOG_MS: "500", HEARTBEAT_MS: "1000", BACKOFF_MAX_MS: "1000", REQUEST_TIMEOUT_MS: "800", ...POLICY, ...vars },
    { durableObjects: { LP_BOT: "LpBot" }, durableObjectsPersist: dir });
  const call = async (method, p, token = TOKEN) => {
    const r = await mf.dispatchFetch(`http://bot.test${p}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: await r.json() };
  };
  return { mf, dir, call, status: async () => (await call("GET", "/status")).body, claims: async () => (await call("GET", "/claims")).body };
}

async function live(bot) {
  await until(async () => (await bot.status()).state === "live", 10000, "the bot to go live");
}

const entry = async (bot, id) => (await bot.claims()).find((c) => c.id === id);

test("edge: connects, goes live, claims a matching order, skips the rest", async () => {
  const bot = await startBot();
  try {
    await live(bot);
    const s = await bot.status();
    assert.equal(s.lpId, 12);
    assert.deepEqual(s.policy.currencies, ["KES", "NGN"]);
    const good = await sim.order({ currency: "KES", amount_fiat: 5000 });
    const wrongCurrency = await sim.order({ currency: "GHS", amount_fiat: 100 });
    const tooBig = await sim.order({ currency: "KES", amount_fiat: 25000 });
    await until(async () => (await entry(bot, good.id))?.state === "claimed", 5000, "the claim");
    const c = await entry(bot, good.id);
    assert.ok(c.payee?.account, "claims come with payee details");
    await new Promise((r) => setTimeout(r, 300));
    for (const o of [wrongCurrency, tooBig]) {
      assert.equal((await sim.get(`/_sim/orders/${o.id}`)).status, "open", `not claimed: ${o.currency} ${o.amount_fiat}`);
      assert.equal(await entry(bot, o.id), undefined);
    }
    // The operator marks fiat sent; the order completes.
    const r = await bot.call("POST", `/claims/${good.id}/fiat-sent`);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, "fiat_sent");
    await until(async () => (await sim.get(`/_sim/orders/${good.id}`)).status === "completed", 5000, "completion");
    await until(async () => (await entry(bot, good.id)).state === "completed", 5000, "the bot to see completion");
    assert.equal((await bot.call("POST", "/claims/999999/fiat-sent")).status, 404);
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
    await until(async () => (await bot.status()).openClaims === 2, 5000, "two open claims");
    await new Promise((r) => setTimeout(r, 500));
    const mine = (await sim.get("/_sim/orders")).filter((o) => orders.some((x) => x.id === o.id) && o.lp_id === 12);
    assert.equal(mine.length, 2, "exactly two claimed");
    assert.equal((await bot.status()).openClaims, 2);
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
    await until(async () => (await entry(a, o.id))?.state && (await entry(b, o.id))?.state
      && !["pending"].includes((await entry(a, o.id)).state) && !["pending"].includes((await entry(b, o.id)).state), 5000, "both outcomes");
    const states = [(await entry(a, o.id)).state, (await entry(b, o.id)).state].sort();
    assert.deepEqual(states, ["claimed", "lost"]);
    const info = await sim.get(`/_sim/orders/${o.id}`);
    assert.equal(info.claims.filter((c) => c.won).length, 1);
  } finally {
    await a.mf.dispose();
    await b.mf.dispose();
  }
});

test("edge: a restart between journal and outcome reconciles without a lost or double claim", async () => {
  const bot = await startBot();
  const dir = bot.dir;
  let restarted;
  try {
    await live(bot);
    // The server commits the claim at once but holds its answer: the bot has journaled
    // "pending" and is waiting when it dies.
    await sim.post("/_sim/faults", { rest_hold_ms: 3000, rest_hold_count: 1 });
    const o = await sim.order({ currency: "KES", amount_fiat: 4000 });
    await until(async () => (await sim.get(`/_sim/orders/${o.id}`)).lp_id === 12, 5000, "the claim to reach the server");
    assert.equal((await entry(bot, o.id)).state, "pending", "journaled, outcome unknown");
    await bot.mf.dispose();
    restarted = await startBot({ dir });
    await live(restarted);
    await until(async () => (await entry(restarted, o.id))?.state === "claimed", 8000, "reconciliation");
    const e = await entry(restarted, o.id);
    assert.equal(e.reconciled, true);
    const info = await sim.get(`/_sim/orders/${o.id}`);
    assert.equal(info.claims.length, 1, "claimed once, never again");
    await sim.post("/_sim/faults", {});
  } finally {
    await restarted?.mf.dispose();
  }
});

test("edge: survives a simulator drop and keeps claiming", async () => {
  const bot = await startBot();
  try {
    await live(bot);
    await sim.post("/_sim/drop", { mode: "abort" });
    await until(async () => (await bot.status()).state !== "live", 5000, "the bot to notice the drop");
    await live(bot);
    const o = await sim.order({ currency: "NGN", amount_fiat: 2000 });
    await until(async () => (await entry(bot, o.id))?.state === "claimed", 5000, "a claim after the drop");
  } finally {
    await bot.mf.dispose();
  }
});

test("edge: wrong operator token → 401; invalid policy → stopped with the reason; pause/resume", async () => {
  const bot = await startBot();
  try {
    for (const token of ["wrong", "", TOKEN + "x"]) {
      const r = await bot.call("GET", "/status", token);
      assert.equal(r.status, 401);
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
    await until(async () => (await entry(bot, o.id))?.state === "claimed", 5000, "the snapshot order claimed after resume");
  } finally {
    await bot.mf.dispose();
  }
  for (const [vars, word] of [[{ MAX_AMOUNT: "KES:20000" }, "NGN"], [{ MAX_OPEN_CLAIMS: "0" }, "MAX_OPEN_CLAIMS"], [{ ALLOWED_CURRENCIES: "" }, "ALLOWED_CURRENCIES"], [{ DAILY_USD_CAP: "lots" }, "DAILY_USD_CAP"]]) {
    const bad = await startBot({ vars });
    try {
      const s = await bad.status();
      assert.equal(s.state, "stopped");
      assert.match(s.setupError, new RegExp(word));
      assert.equal((await sim.get("/_sim/connections")).total >= 0, true);
    } finally {
      await bad.mf.dispose();
    }
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
