// The edge bot observed (issue 17): its JSON log lines (content, levels, never the key nor
// any part of it), its Prometheus metrics and Analytics Engine data points, and its alert
// webhook (signed, retried with backoff, never holding a claim). In workerd through
// Miniflare against rampwire-sim; the webhook is a local server.
import { test, beforeEach, afterEach, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { createHmac, timingSafeEqual } from "node:crypto";
import { startSim, until, ROOT, KEY } from "./sim.mjs";
import { startEdge, cleanDirs, parsePrometheus, TOKEN } from "./edge-harness.mjs";

const TEST_WORKER = path.join(ROOT, "tests/js/edge-test-worker.mjs");
const WEBHOOK_SECRET = "whsec-test-0123456789abcdef";

let sim;
beforeEach(async () => {
  sim = await startSim(["--complete-after-ms", "300"]);
});
afterEach(async () => {
  await sim?.stop();
});
after(cleanDirs);

/** The default bot in the test Worker (its Analytics Engine binding a recording stub). */
const startBot = (bindings = {}, dir) => startEdge(sim, { script: TEST_WORKER, dir, bindings: { LP_KEY: KEY, ...bindings }, extra: { durableObjects: { LP_BOT: "TestBot", LP_FLEET: "BotRegistry" } } });

/** Every substring of `secret` of 6 characters or more. */
function partsOf(secret) {
  const out = [];
  for (let n = 6; n <= secret.length; n++) for (let i = 0; i + n <= secret.length; i++) out.push(secret.slice(i, i + n));
  return out;
}

/** A webhook receiver on 127.0.0.1: `answer(req, n)` gives the status (or a promise of it). */
async function webhook(answer = () => 200) {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", async () => {
      const item = { headers: req.headers, body, at: Date.now() };
      got.push(item);
      const status = await answer(item, got.length);
      res.writeHead(status).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, got, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

/** Checks the signature as the README tells a receiver to; returns the parsed body. */
function verified(item) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(item.headers["x-rampwire-signature"] ?? "");
  assert.ok(m, `a signature header: ${item.headers["x-rampwire-signature"]}`);
  const mac = createHmac("sha256", WEBHOOK_SECRET).update(`${m[1]}.${item.body}`).digest();
  assert.ok(timingSafeEqual(mac, Buffer.from(m[2], "hex")), "the signature verifies");
  assert.ok(Math.abs(Date.now() / 1000 - Number(m[1])) < 60, "a fresh timestamp");
  const body = JSON.parse(item.body);
  assert.equal(item.headers["x-rampwire-event"], body.type);
  assert.equal(item.headers["x-rampwire-delivery"], body.delivery);
  return body;
}

test("edge logs: one JSON line per event that matters, with levels and the bot's name, never the key or any part of it", async () => {
  const bot = await startBot();
  try {
    await until(async () => (await bot.status()).connected === true, 10000, "live");
    const good = await sim.order({ currency: "KES", amount_fiat: 5000 });
    // Over MAX_AMOUNT (a currency not allowed is filtered out before the engine).
    const skipped = await sim.order({ currency: "KES", amount_fiat: 25000 });
    await until(async () => (await bot.entry(good.id))?.state === "claimed", 5000, "the claim");
    await bot.call("POST", `/claims/${good.id}/fiat-sent`);
    await until(async () => (await bot.entry(good.id))?.state === "completed", 8000, "completed");
    await bot.call("POST", "/pause");
    await until(() => bot.lines().some((l) => l.event === "state_changed" && l.to === "paused"), 3000, "the pause logged");
    const lines = bot.lines();
    for (const l of lines) {
      assert.ok(["debug", "info", "warn", "error"].includes(l.level), JSON.stringify(l));
      assert.notEqual(l.level, "debug", "LOG_LEVEL info drops debug lines");
      assert.equal(l.bot, "primary");
      assert.ok(!Number.isNaN(Date.parse(l.t)));
    }
    const find = (event, pred = () => true) => lines.find((l) => l.event === event && pred(l));
    assert.ok(find("state_changed", (l) => l.to === "live" && typeof l.reason === "string"), "live, with its reason");
    assert.ok(find("state_changed", (l) => l.from === "live" && l.to === "paused" && /pause/.test(l.reason)), "paused, with its reason");
    assert.ok(find("order_seen", (l) => l.id === skipped.id && l.verdict === "skip" && l.rule === "above_max"), "a skip with its rule");
    assert.ok(find("claim_sent", (l) => l.id === good.id && l.currency === "KES"), "claim sent");
    const outcome = find("claim_outcome", (l) => l.id === good.id);
    assert.equal(outcome.outcome, "claimed");
    assert.equal(typeof outcome.latency_ms, "number", "the outcome's latency");
    assert.ok(find("reconciled", (l) => l.id === good.id && l.to === "fiat_sent"), "a reconciliation");
    assert.ok(find("fiat_sent", (l) => l.id === good.id), "fiat sent");
    assert.ok(find("completed", (l) => l.id === good.id), "completed");
    const raw = bot.logs.join("\n");
    for (const part of [...partsOf(KEY), ...partsOf(TOKEN)]) assert.ok(!raw.includes(part), `no part of a secret in the logs: ${part}`);
  } finally {
    await bot.mf.dispose();
  }
  // A fatal setting: one error line naming it.
  const bad = await startBot({ MAX_OPEN_CLAIMS: "0" });
  try {
    assert.equal((await bad.status()).state, "stopped");
    const l = bad.lines().find((x) => x.event === "setup_error");
    assert.equal(l?.level, "error");
    assert.match(l.reason, /MAX_OPEN_CLAIMS/);
  } finally {
    await bad.mf.dispose();
  }
});

test("edge metrics: counters and latency histograms in the Prometheus text format, and each event to Analytics Engine", async () => {
  const bot = await startBot();
  try {
    await until(async () => (await bot.status()).connected === true, 10000, "live");
    const orders = [];
    for (const [currency, amount] of [["KES", 1000], ["NGN", 2000], ["KES", 30000], ["KES", 99999]]) orders.push(await sim.order({ currency, amount_fiat: amount }));
    await until(async () => (await bot.claims()).filter((e) => e.state === "claimed").length === 2, 5000, "two claims");
    await until(() => bot.lines().filter((l) => l.event === "order_seen" && l.verdict === "skip").length === 2, 5000, "two skips");
    const r = await bot.call("GET", "/metrics");
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(r.body);
    const v = (name) => samples.get(`rampwire_bot_${name}{bot="primary"}`);
    assert.equal(v("orders_seen_total"), 4);
    assert.equal(v("orders_matched_total"), 2);
    assert.equal(v("claims_sent_total"), 2);
    assert.equal(v("claims_won_total"), 2);
    assert.equal(v("claims_lost_total"), 0);
    assert.equal(v("claims_failed_total"), 0);
    assert.equal(v("open_claims"), 2);
    assert.equal(v("connected"), 1);
    for (const h of ["claim_rtt_ms", "discovery_to_claim_ms"]) {
      assert.equal(types.get(`rampwire_bot_${h}`), "histogram");
      const buckets = [...samples].filter(([k]) => k.startsWith(`rampwire_bot_${h}_bucket{`)).map(([, n]) => n);
      assert.ok(buckets.length > 5);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1], "cumulative buckets");
      assert.equal(buckets.at(-1), 2, `${h}: +Inf counts both claims`);
      assert.equal(samples.get(`rampwire_bot_${h}_count{bot="primary"}`), 2);
      const p50 = samples.get(`rampwire_bot_${h}_quantile{bot="primary",quantile="0.5"}`);
      const p99 = samples.get(`rampwire_bot_${h}_quantile{bot="primary",quantile="0.99"}`);
      assert.ok(p50 >= 0 && p99 >= p50, `${h} p50 ${p50} p99 ${p99}`);
    }
    // The same events, as Analytics Engine data points (a recording stub binding).
    const ns = await bot.mf.getDurableObjectNamespace("LP_BOT");
    const points = await ns.get(ns.idFromName("primary")).testPoints();
    const events = points.filter((p) => p.blobs[0] === "primary").map((p) => p.blobs[1]);
    for (const e of ["orders_seen", "orders_matched", "claims_sent", "claims_won", "claim_rtt"]) assert.ok(events.includes(e), `${e} written`);
    assert.equal(events.filter((e) => e === "claims_sent").length, 2);
    for (const p of points) assert.deepEqual(p.indexes, ["primary"]);
  } finally {
    await bot.mf.dispose();
  }
});

test("edge metrics: with Miniflare's own Analytics Engine binding the bot runs and serves its metrics", async () => {
  const bot = await startEdge(sim, { bindings: { LP_KEY: KEY }, extra: { analyticsEngineDatasets: { BOT_ANALYTICS: { dataset: "rampwire_lp_bot" } } } });
  try {
    await until(async () => (await bot.status()).connected === true, 10000, "live");
    const o = await sim.order({ currency: "KES", amount_fiat: 1000 });
    await until(async () => (await bot.entry(o.id))?.state === "claimed", 5000, "a claim");
    const { samples } = parsePrometheus((await bot.call("GET", "/metrics")).body);
    assert.equal(samples.get('rampwire_bot_claims_won_total{bot="primary"}'), 1);
    assert.ok(!bot.lines().some((l) => l.event === "analytics_failed"));
  } finally {
    await bot.mf.dispose();
  }
});

test("edge alerts: a won claim, a stop and a long disconnection each POST a signed JSON body to the webhook", async () => {
  const hook = await webhook();
  const bot = await startBot({ ALERT_WEBHOOK_URL: hook.url, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET, ALERT_DISCONNECTED_MS: "1500" });
  try {
    await until(async () => (await bot.status()).connected === true, 10000, "live");
    const o = await sim.order({ currency: "KES", amount_fiat: 4000 });
    await until(() => hook.got.length >= 1, 5000, "the claim_won alert");
    const won = verified(hook.got[0]);
    assert.deepEqual([won.type, won.bot, won.id, won.currency, won.amount_fiat], ["claim_won", "primary", o.id, "KES", 4000]);
    assert.match(won.action, /fiat-sent/);
    // The simulator goes away: after the threshold, one disconnected alert.
    await sim.stop();
    await until(() => hook.got.some((g) => JSON.parse(g.body).type === "disconnected"), 8000, "the disconnected alert");
    const d = verified(hook.got.find((g) => JSON.parse(g.body).type === "disconnected"));
    assert.ok(d.disconnected_ms >= 1500 && d.threshold_ms === 1500);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(hook.got.filter((g) => JSON.parse(g.body).type === "disconnected").length, 1, "once per disconnection");
    const raw = hook.got.map((g) => g.body).join("\n") + bot.logs.join("\n");
    for (const part of [...partsOf(KEY), ...partsOf(WEBHOOK_SECRET), ...partsOf(hook.url.slice(7))]) assert.ok(!raw.includes(part), `no secret in alerts or logs: ${part}`);
  } finally {
    await bot.mf.dispose();
  }
  // A refused key stops the bot: a stopped alert.
  sim = await startSim();
  const refused = await startBot({ LP_KEY: "lp_refused_key", ALERT_WEBHOOK_URL: hook.url, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET });
  try {
    await refused.status(); // the first call starts the default bot (the cron does in production)
    await until(() => hook.got.some((g) => JSON.parse(g.body).type === "stopped"), 8000, "the stopped alert");
    const s = verified(hook.got.find((g) => JSON.parse(g.body).type === "stopped"));
    assert.match(s.reason, /refused|Invalid|key/i);
  } finally {
    await refused.mf.dispose();
  }
  // A fatal setting: one stopped alert naming it, not one per wake-up of the object.
  const bad = await startBot({ MAX_OPEN_CLAIMS: "0", ALERT_WEBHOOK_URL: hook.url, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET });
  const settingAlerts = () => hook.got.map(verified).filter((b) => b.type === "stopped" && b.setting === true);
  try {
    await bad.status();
    await until(() => settingAlerts().length === 1, 5000, "the setting alert");
    assert.match(settingAlerts()[0].reason, /MAX_OPEN_CLAIMS/);
    await bad.mf.dispose();
    const again = await startBot({ MAX_OPEN_CLAIMS: "0", ALERT_WEBHOOK_URL: hook.url, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET }, bad.dir);
    await again.status();
    await new Promise((r) => setTimeout(r, 500));
    await again.mf.dispose();
    assert.equal(settingAlerts().length, 1, "not again after a reset");
  } finally {
    await bad.mf.dispose().catch(() => {});
    await hook.close();
  }
});

test("edge alerts: a failing webhook is retried with backoff (same delivery id) and never holds a claim", async () => {
  let release;
  const held = new Promise((r) => (release = r));
  // The first two deliveries are held until released, then answered 500; the third is taken.
  const hook = await webhook(async (_item, n) => (n <= 2 ? (await held, 500) : 200));
  const bot = await startBot({ ALERT_WEBHOOK_URL: hook.url, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET, ALERT_RETRY_MS: "200" });
  try {
    await until(async () => (await bot.status()).connected === true, 10000, "live");
    const first = await sim.order({ currency: "KES", amount_fiat: 1000 });
    await until(() => hook.got.length === 1, 5000, "the first alert, now held");
    // The webhook hangs: claims go on.
    const more = [await sim.order({ currency: "KES", amount_fiat: 1100 }), await sim.order({ currency: "NGN", amount_fiat: 1200 })];
    for (const o of [first, ...more]) await until(async () => (await bot.entry(o.id))?.state === "claimed", 5000, `claim ${o.id} while the webhook hangs`);
    assert.equal(hook.got.length, 1, "one delivery at a time");
    const releasedAt = Date.now();
    release();
    await until(() => hook.got.length >= 5, 10000, "retries, then the other alerts");
    const bodies = hook.got.map(verified);
    const attempts = (id) => hook.got.filter((_g, i) => bodies[i].delivery === id);
    const firstTries = attempts(bodies[0].delivery);
    assert.equal(firstTries.length, 2, "the refused delivery retried once, under the same delivery id");
    assert.ok(firstTries[1].at - releasedAt >= 200, "after a backoff");
    const wonIds = [...new Set(bodies.filter((b) => b.type === "claim_won").map((b) => b.id))].sort();
    assert.deepEqual(wonIds, [first.id, ...more.map((o) => o.id)].sort(), "every won claim alerted");
    assert.ok(bot.lines().some((l) => l.event === "alert_retry" && l.reason === "HTTP 500"));
    await until(() => bot.lines().filter((l) => l.event === "alert_sent").length === 3, 5000, "three delivered");
    const { samples } = parsePrometheus((await bot.call("GET", "/metrics")).body);
    assert.equal(samples.get('rampwire_bot_alerts_sent_total{bot="primary"}'), 3);
  } finally {
    release();
    await bot.mf.dispose();
    await hook.close();
  }
});
