// The edge bot as a fleet (issue 17): one Durable Object per bot name, configured with
// PUT /bots/{name} (the key from a secret binding the config names), listed with GET
// /bots, each with its own status, claims, controls and metrics; the single-bot routes
// stay the default bot's. In workerd through Miniflare against rampwire-sim.
import { test, beforeEach, afterEach, after } from "node:test";
import assert from "node:assert/strict";
import { startSim, until, KEY, KEY2 } from "./sim.mjs";
import { startEdge, cleanDirs, parsePrometheus, FAST } from "./edge-harness.mjs";

let sim;
beforeEach(async () => {
  sim = await startSim(["--complete-after-ms", "300"]);
});
afterEach(async () => {
  await sim?.stop();
});
after(cleanDirs);

const ALICE = { key_secret: "LP_KEY_ALICE", location_hint: "afr", settings: { ALLOWED_CURRENCIES: "KES", MAX_AMOUNT: "KES:20000", MAX_OPEN_CLAIMS: "5", DRY_RUN: "0" } };
const BOB = { key_secret: "LP_KEY_BOB", location_hint: "weur", settings: { ALLOWED_CURRENCIES: "KES,NGN", MAX_AMOUNT: "KES:5000,NGN:150000", MAX_OPEN_CLAIMS: "5", DRY_RUN: "0" } };

/** A fleet Worker with two keys and no default key (so no default bot races). */
const fleet = (bindings = {}) => startEdge(sim, { bindings: { LP_KEY: undefined, LP_KEY_ALICE: KEY, LP_KEY_BOB: KEY2, ...bindings } });

test("edge fleet: two bots with different keys and policies race on one simulator; each has its status, claims, controls", async () => {
  const edge = await fleet();
  try {
    assert.equal((await edge.call("PUT", "/bots/alice", { body: ALICE })).status, 201);
    assert.equal((await edge.call("PUT", "/bots/bob", { body: BOB })).status, 201);
    await until(async () => (await edge.status("alice")).connected && (await edge.status("bob")).connected, 10000, "both bots live");
    const a = await edge.status("alice");
    const b = await edge.status("bob");
    assert.deepEqual([a.bot, a.lp_id, a.location_hint, b.bot, b.lp_id, b.location_hint], ["alice", 12, "afr", "bob", 13, "weur"]);
    const list = (await edge.call("GET", "/bots")).body.bots;
    assert.deepEqual(list.map((x) => [x.name, x.key_secret, x.state]).sort(), [["alice", "LP_KEY_ALICE", "live"], ["bob", "LP_KEY_BOB", "live"]]);

    // Both policies want it: one wins, the other loses, the server saw one winner.
    const both = await sim.order({ currency: "KES", amount_fiat: 3000 });
    // Only alice's policy (bob's KES cap is 5000), only bob's (alice claims no NGN).
    const aliceOnly = await sim.order({ currency: "KES", amount_fiat: 12000 });
    const bobOnly = await sim.order({ currency: "NGN", amount_fiat: 1000 });
    const settled = async (bot, id) => ["claimed", "lost"].includes((await edge.entry(id, bot))?.state);
    await until(async () => (await settled("alice", both.id)) && (await settled("bob", both.id)), 8000, "both outcomes");
    assert.deepEqual([(await edge.entry(both.id, "alice")).state, (await edge.entry(both.id, "bob")).state].sort(), ["claimed", "lost"]);
    assert.equal((await sim.get(`/_sim/orders/${both.id}`)).claims.filter((c) => c.won).length, 1);
    await until(async () => (await edge.entry(aliceOnly.id, "alice"))?.state === "claimed", 5000, "alice's own order");
    await until(async () => (await edge.entry(bobOnly.id, "bob"))?.state === "claimed", 5000, "bob's own order");
    assert.equal(await edge.entry(aliceOnly.id, "bob"), undefined, "bob's policy skips it");
    assert.equal(await edge.entry(bobOnly.id, "alice"), undefined, "alice's policy skips it");
    assert.equal((await sim.get(`/_sim/orders/${aliceOnly.id}`)).lp_id, 12);
    assert.equal((await sim.get(`/_sim/orders/${bobOnly.id}`)).lp_id, 13);

    // Controls are per bot: alice paused claims nothing, bob goes on.
    assert.equal((await edge.call("POST", "/bots/alice/pause")).body.state, "paused");
    const next = await sim.order({ currency: "KES", amount_fiat: 1000 });
    await until(async () => (await edge.entry(next.id, "bob"))?.state === "claimed", 5000, "bob claims while alice is paused");
    assert.equal(await edge.entry(next.id, "alice"), undefined);
    assert.equal((await edge.call("POST", "/bots/alice/resume")).status, 200);
    // Fiat-sent on alice's claim reaches the server under alice's key.
    assert.equal((await edge.call("POST", `/bots/alice/claims/${aliceOnly.id}/fiat-sent`)).status, 200);
    await until(async () => (await edge.entry(aliceOnly.id, "alice"))?.state === "completed", 8000, "alice's claim completed");

    // Each bot's metrics, in the Prometheus text format.
    const { samples, types } = parsePrometheus((await edge.call("GET", "/bots/alice/metrics")).body);
    assert.equal(types.get("rampwire_bot_claims_sent_total"), "counter");
    assert.equal(types.get("rampwire_bot_claim_rtt_ms"), "histogram");
    const won = samples.get('rampwire_bot_claims_won_total{bot="alice"}');
    const lost = samples.get('rampwire_bot_claims_lost_total{bot="alice"}');
    assert.equal(won + lost, 2, "alice: the race and her own order");
    assert.equal(samples.get('rampwire_bot_completed_total{bot="alice"}'), 1);

    // An unknown bot is a 404, not an object made on the fly.
    assert.equal((await edge.call("GET", "/bots/carol/status")).status, 404);
    assert.equal((await edge.call("POST", "/bots/carol/pause")).status, 404);
  } finally {
    await edge.mf.dispose();
  }
});

test("edge fleet: a config names the key's secret, never holds the key; where the key is sent is not for a request to choose", async () => {
  const edge = await fleet();
  try {
    const cases = [
      [{ ...ALICE, lp_key: KEY }, /unknown field/],
      [{ ...ALICE, key_secret: "OPERATOR_TOKEN" }, /key_secret/],
      [{ ...ALICE, key_secret: KEY }, /key_secret/],
      [{ ...ALICE, key_secret: "LP_KEY_NOBODY" }, /LP_KEY_NOBODY is not set/],
      [{ ...ALICE, settings: { ...ALICE.settings, API_URL: "https://evil.example" } }, /API_URL/],
      [{ ...ALICE, settings: { ...ALICE.settings, LP_KEY: KEY } }, /unknown setting/],
      [{ ...ALICE, settings: { ...ALICE.settings, MAX_AMOUNT: "KES:0x10" } }, /MAX_AMOUNT/],
      [{ ...ALICE, location_hint: "mars" }, /location_hint/],
      ["not json", /JSON/],
    ];
    for (const [body, why] of cases) {
      const r = await edge.call("PUT", "/bots/alice", { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error, why);
      assert.ok(!JSON.stringify(r.body).includes(KEY), "the key is never echoed");
    }
    assert.equal((await edge.call("PUT", "/bots/Alice!", { body: ALICE })).status, 400, "a bad name");
    assert.deepEqual((await edge.call("GET", "/bots")).body.bots, [], "nothing was made");
    // The operator token guards the fleet routes as the single-bot ones.
    assert.equal((await edge.call("PUT", "/bots/alice", { body: ALICE, auth: "Bearer nope" })).status, 401);
    assert.equal((await edge.call("GET", "/bots", { auth: null })).status, 401);
    // Reconfiguring keeps the journal and restarts the bot with the new policy.
    assert.equal((await edge.call("PUT", "/bots/alice", { body: ALICE })).status, 201);
    await until(async () => (await edge.status("alice")).connected, 10000, "alice live");
    const o = await sim.order({ currency: "KES", amount_fiat: 2000 });
    await until(async () => (await edge.entry(o.id, "alice"))?.state === "claimed", 5000, "a claim");
    const r = await edge.call("PUT", "/bots/alice", { body: { ...ALICE, settings: { ...ALICE.settings, MAX_AMOUNT: "KES:1000" } } });
    assert.equal(r.status, 200);
    await until(async () => (await edge.status("alice")).connected, 10000, "alice live again");
    assert.equal((await edge.entry(o.id, "alice")).state, "claimed", "the journal kept");
    const big = await sim.order({ currency: "KES", amount_fiat: 2000 });
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(await edge.entry(big.id, "alice"), undefined, "the new cap applies");
    // A bot with an open claim is not removed; once settled it is.
    assert.equal((await edge.call("DELETE", "/bots/alice")).status, 409);
    await edge.call("POST", `/bots/alice/claims/${o.id}/fiat-sent`);
    await until(async () => (await edge.entry(o.id, "alice"))?.state === "completed", 8000, "completed");
    assert.equal((await edge.call("DELETE", "/bots/alice")).status, 200);
    assert.deepEqual((await edge.call("GET", "/bots")).body.bots, []);
    assert.equal((await edge.call("GET", "/bots/alice/status")).status, 404);
  } finally {
    await edge.mf.dispose();
  }
});

test("edge fleet: the single-bot setup is unchanged: LP_KEY and [vars] make the default bot, its routes are aliases of /bots/primary", async () => {
  const edge = await startEdge(sim, { bindings: { LP_KEY: KEY, ...FAST } });
  try {
    await until(async () => (await edge.status()).connected === true, 10000, "the default bot live");
    const s = await edge.status("primary");
    assert.equal(s.bot, "primary");
    assert.equal(s.location_hint, "afr", "the documented default placement");
    assert.equal(s.colo, "unknown", "no trace asked: said so");
    assert.deepEqual((await edge.call("GET", "/bots")).body.bots.map((b) => b.name), ["primary"]);
    const o = await sim.order({ currency: "NGN", amount_fiat: 1000 });
    await until(async () => (await edge.entry(o.id))?.state === "claimed", 5000, "a claim");
    assert.equal((await edge.entry(o.id, "primary")).state, "claimed", "the same journal");
    assert.ok((await edge.status()).claim_rtt_ms.samples >= 1, "the measured claim RTT in /status");
  } finally {
    await edge.mf.dispose();
  }
});
