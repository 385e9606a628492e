// The edge bot across resets (issue 17): placement reported honestly, a bot live again
// after a reset by itself (its alarm, or the cron), and a reset mid-claim and mid-fiat-sent
// (the Worker's runtime torn down and started again on the same storage) reconciled:
// never a second claim or fiat-sent, never a claim lost.
import { test, beforeEach, afterEach, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { startSim, until, ROOT, KEY, KEY2 } from "./sim.mjs";
import { startEdge, cleanDirs } from "./edge-harness.mjs";

let sim;
beforeEach(async () => {
  sim = await startSim(["--complete-after-ms", "300"]);
});
afterEach(async () => {
  await sim?.post("/_sim/faults", {}).catch(() => {});
  await sim?.stop();
});
after(cleanDirs);

const ALICE = { key_secret: "LP_KEY_ALICE", location_hint: "afr", settings: { ALLOWED_CURRENCIES: "KES", MAX_AMOUNT: "KES:20000", MAX_OPEN_CLAIMS: "3", DRY_RUN: "0" } };
const TEST_WORKER = path.join(ROOT, "tests/js/edge-test-worker.mjs");
const fleet = (dir, bindings = {}) => startEdge(sim, { dir, bindings: { LP_KEY: undefined, LP_KEY_ALICE: KEY, ...bindings } });
/** The same, in the test Worker (its objects answer `testAlarm()`). */
const testFleet = (dir, bindings = {}) => startEdge(sim, { dir, script: TEST_WORKER, bindings: { LP_KEY: undefined, LP_KEY_ALICE: KEY, ...bindings }, extra: { durableObjects: { LP_BOT: "TestBot", LP_FLEET: "BotRegistry" } } });
const requests = async (line) => (await sim.get("/_sim/requests")).filter((l) => l.startsWith(line));

test("edge placement: /status names the object's colo from the trace, and the measured claim RTT", async () => {
  const trace = http.createServer((_q, res) => res.end("fl=1\nh=example\nip=127.0.0.1\ncolo=NBO\nloc=KE\n"));
  await new Promise((r) => trace.listen(0, "127.0.0.1", r));
  const edge = await fleet(undefined, { COLO_TRACE_URL: `http://127.0.0.1:${trace.address().port}/cdn-cgi/trace` });
  try {
    assert.equal((await edge.call("PUT", "/bots/alice", { body: ALICE })).status, 201);
    await until(async () => (await edge.status("alice")).colo === "NBO", 5000, "the colo");
    const s = await edge.status("alice");
    assert.deepEqual([s.colo, s.colo_source, s.location_hint], ["NBO", "trace", "afr"]);
    await until(async () => (await edge.status("alice")).connected, 10000, "live");
    const o = await sim.order({ currency: "KES", amount_fiat: 1000 });
    await until(async () => (await edge.entry(o.id, "alice"))?.state === "claimed", 5000, "a claim");
    const rtt = (await edge.status("alice")).claim_rtt_ms;
    assert.equal(rtt.samples, 1);
    assert.ok(rtt.last >= 0 && rtt.p50 === rtt.last && rtt.p99 === rtt.last, JSON.stringify(rtt));
    assert.ok(edge.lines().some((l) => l.event === "placement" && l.colo === "NBO"));
  } finally {
    await edge.mf.dispose();
    trace.close();
  }
});

test("edge resilience: a bot reset mid-claim is live again by its alarm (no request), reconciles the claim, never claims twice", async () => {
  let edge = await fleet();
  const dir = edge.dir;
  try {
    assert.equal((await edge.call("PUT", "/bots/alice", { body: ALICE })).status, 201);
    await until(async () => (await edge.status("alice")).connected, 10000, "live");
    // The server commits the claim at once but holds its answer: journaled pending, then reset.
    await sim.post("/_sim/faults", { rest_hold_ms: 3000, rest_hold_count: 1 });
    const o = await sim.order({ currency: "KES", amount_fiat: 4000 });
    await until(async () => (await sim.get(`/_sim/orders/${o.id}`)).lp_id === 12, 5000, "the claim at the server");
    assert.equal((await edge.entry(o.id, "alice")).state, "pending");
    const sockets = (await requests("GET /ws/orders")).length;
    await edge.mf.dispose();
    await sim.post("/_sim/faults", {});
    edge = await fleet(dir);
    // Nobody calls the bot: its alarm brings it back, its start looks the claim up.
    await until(async () => (await requests("GET /ws/orders")).length > sockets, 10000, "a socket again, by the alarm");
    await until(async () => (await requests(`GET /api/orders/${o.id}`)).length > 0, 10000, "the reconciliation lookup");
    assert.equal((await edge.entry(o.id, "alice")).state, "claimed");
    assert.equal((await requests(`POST /api/orders/${o.id}/claim`)).length, 1, "claimed once, never again");
    assert.ok(edge.lines().some((l) => l.event === "reconciled" && l.id === o.id && l.from === "pending" && l.to === "claimed"));

    // A reset mid-fiat-sent: the server has it, the bot never heard; found by reconciliation.
    await sim.post("/_sim/faults", { rest_hold_ms: 3000, rest_hold_count: 1 });
    const fs = edge.call("POST", `/bots/alice/claims/${o.id}/fiat-sent`);
    await until(async () => (await sim.get(`/_sim/orders/${o.id}`)).status !== "claimed", 5000, "fiat-sent at the server");
    await edge.mf.dispose().catch(() => {});
    await fs.catch(() => {});
    await sim.post("/_sim/faults", {});
    edge = await fleet(dir);
    await until(async () => (await edge.entry(o.id, "alice"))?.state === "completed", 10000, "completed after the reset");
    assert.equal((await requests(`POST /api/orders/${o.id}/fiat-sent`)).length, 1, "fiat-sent once, never again");
    const s = await edge.status("alice");
    assert.deepEqual([s.open_claims, s.non_final], [0, 0], "no collateral slot lost");
  } finally {
    await edge.mf.dispose().catch(() => {});
  }
});

test("edge resilience: the cron starts every bot nobody called (after a deploy), and a paused bot with nothing open sleeps", async () => {
  let edge = await testFleet(undefined, { LP_KEY: KEY2 });
  const dir = edge.dir;
  try {
    assert.equal((await edge.call("PUT", "/bots/alice", { body: ALICE })).status, 201);
    await until(async () => (await edge.status("alice")).connected, 10000, "alice live");
    await edge.mf.dispose();
    edge = await testFleet(dir, { LP_KEY: KEY2 });
    // The default bot was never called: only the cron starts it.
    assert.equal((await edge.call("GET", "/bots")).body.bots.find((b) => b.name === "primary").state, "unconfigured");
    const worker = await edge.mf.getWorker();
    await worker.scheduled({ cron: "* * * * *" });
    await until(async () => (await edge.call("GET", "/bots")).body.bots.every((b) => b.connected), 10000, "every bot live after the cron");
    assert.deepEqual((await edge.call("GET", "/bots")).body.bots.map((b) => b.name).sort(), ["alice", "primary"]);
    // Paused with nothing open: the socket closes and no alarm is left (nothing runs, nothing billed).
    assert.equal((await edge.call("POST", "/bots/alice/pause")).body.state, "paused");
    await until(async () => (await edge.status("alice")).connected === false, 5000, "the socket closed");
    const ns = await edge.mf.getDurableObjectNamespace("LP_BOT");
    const alice = ns.get(ns.idFromName("alice"));
    await until(async () => (await alice.testAlarm()) === null, 5000, "no alarm left (the last one fired, not re-armed)");
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await alice.testAlarm(), null, "still none");
    assert.notEqual(await ns.get(ns.idFromName("primary")).testAlarm(), null, "the running bot keeps its watchdog");
    // The cron leaves it asleep too.
    const registry = (await edge.mf.getDurableObjectNamespace("LP_FLEET"));
    assert.deepEqual(await registry.get(registry.idFromName("fleet")).pausedNames(), ["alice"]);
    await worker.scheduled({ cron: "* * * * *" });
    assert.equal(await alice.testAlarm(), null, "not woken by the cron");
    // Resume arms it again.
    await edge.call("POST", "/bots/alice/resume");
    assert.notEqual(await alice.testAlarm(), null);
    assert.deepEqual(await registry.get(registry.idFromName("fleet")).pausedNames(), []);
  } finally {
    await edge.mf.dispose().catch(() => {});
  }
});
