// Auto-claim in the dashboard (issue 19), headless Chromium against rampwire-sim: the bot
// engine runs in the shared worker on the tabs' one socket, with the engine's own policy
// (currencies, per-currency limits, max open claims, daily cap, pause, dry run). The
// simulator's request log is the judge: what it saw is what was claimed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { startSim, KEY, KEY2, until } from "./sim.mjs";
import { startDashboard, stopDashboard, serveDashboard, openTabs as openTabsOf } from "./dashboard-harness.mjs";

let sim, web, browser;
const pageErrors = [];
/** Paths the browser fetched from the dashboard's server (through `front`), in order. */
const fetched = [];
let front;

before(async () => {
  ({ sim, web, browser } = await startDashboard(["--complete-after-ms", "300", "--seed", "7"]));
  // A logging proxy in front of the static server: the judge of what the worker loads.
  const up = new URL(web.url);
  front = createServer((req, res) => {
    fetched.push(req.url);
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (a) => {
      res.writeHead(a.statusCode, a.headers);
      a.pipe(res);
    });
    fwd.on("error", () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise((r) => front.listen(0, "127.0.0.1", r));
});
after(async () => {
  await new Promise((r) => (front ? front.close(r) : r()));
  await stopDashboard({ sim, web, browser });
});

const openTabs = (ctx, n, key = KEY, site = web.url) => openTabsOf(ctx, site, n, key, pageErrors);

/** Fills the rules and starts auto-claim (a new bot runs in dry run). */
async function startAuto(p, { limits, maxOpen = "10", dailyCap = "" }) {
  await p.fill("#ac-limits", limits);
  await p.fill("#ac-max-open", maxOpen);
  await p.fill("#ac-daily-cap", dailyCap);
  await p.click("#ac-start");
  await p.waitForFunction(() => document.querySelector("#ac-status").textContent.startsWith("Dry run"), null, { timeout: 15000 });
}

/** Going live is explicit: the button, then the confirmation. */
async function goLive(p) {
  await p.click("#ac-live");
  await p.click("#ac-live-yes");
  await p.waitForFunction(() => document.querySelector("#autoclaim").dataset.mode === "live");
}

/** The bot's report, asked by a handle of the dashboard's own options (it joins the same session). */
const botReport = (p) => p.evaluate(async (key) => {
  const { LpClient } = await import("./pkg/shared.js");
  const c = new LpClient({ apiUrl: document.querySelector("#api-url").value, currencies: [], lpKey: key });
  try {
    return await c.autoClaim({ op: "status" });
  } finally {
    c.close();
  }
}, KEY);
const claimPosts = async (id) => (await sim.requests()).filter((l) => l.startsWith(`POST /api/orders/${id}/claim`)).length;
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

test("auto-claim: loaded lazily: a session that never turns it on loads no bot engine; the first start does", async (t) => {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  const p = await ctx.newPage();
  const base = `http://127.0.0.1:${front.address().port}`;
  await p.goto(`${base}/`);
  await p.waitForSelector("body[data-ready=true]");
  await p.fill("#lp-key", KEY);
  await p.press("#lp-key", "Enter");
  await p.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  await sim.order({ currency: "KES", amount_fiat: 100 });
  await settle(800);
  assert.ok(fetched.includes("/pkg/shared-worker.js"), `the worker was loaded: ${fetched}`);
  const bot = () => fetched.filter((u) => /shared-autoclaim|\/bot\/|\/drivers\//.test(u));
  assert.deepEqual(bot(), [], "nothing of the bot loaded");
  await startAuto(p, { limits: "KES:10" });
  assert.deepEqual(bot().filter((u) => !u.includes("/snippets/")).sort(), ["/pkg/bot/rampwire_lp_bot.js", "/pkg/bot/rampwire_lp_bot_bg.wasm", "/pkg/drivers/bot-driver.mjs", "/pkg/shared-autoclaim.js"]);
  await p.click("#ac-stop");
  await p.waitForFunction(() => document.querySelector("#ac-status").textContent === "Off");
});

test("auto-claim: 3 tabs, one bot: exactly the matching orders are claimed, once each, and land in every tab's claims queue", async (t) => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  t.after(() => ctx.close());
  const tabs = await openTabs(ctx, 3);
  await startAuto(tabs[0], { limits: "KES:50000, TZS:200000" });
  // Every tab sees the same bot (it runs in the worker, not in the tab that started it).
  await tabs[2].waitForFunction(() => document.querySelector("#ac-status").textContent.startsWith("Dry run"), null, { timeout: 5000 });
  await goLive(tabs[1]);
  const match = [await sim.order({ currency: "KES", amount_fiat: 1200 }), await sim.order({ currency: "TZS", amount_fiat: 150000 })];
  const miss = [await sim.order({ currency: "NGN", amount_fiat: 5000 }), await sim.order({ currency: "KES", amount_fiat: 90000 })];
  for (const o of match) {
    await until(async () => (await sim.orderInfo(o.id)).status === "claimed", 10000, `order ${o.id} claimed`);
    assert.equal((await sim.orderInfo(o.id)).lp_id, 12);
  }
  // Each tab clicks Claim on nothing; the queue shows the bot's wins in every tab.
  await Promise.all(tabs.flatMap((p) => match.map((o) => p.waitForSelector(`.claim-card[data-id="${o.id}"]`))));
  await settle();
  for (const o of match) assert.equal(await claimPosts(o.id), 1, `one POST for order ${o.id}`);
  for (const o of miss) assert.equal(await claimPosts(o.id), 0, `no POST for order ${o.id} (${o.currency} ${o.amount_fiat})`);
  // Saved in the claims queue (IndexedDB): a reload shows them.
  await tabs[2].reload();
  await tabs[2].waitForSelector("body[data-ready=true]");
  await tabs[2].fill("#lp-key", KEY);
  await tabs[2].press("#lp-key", "Enter");
  for (const o of match) await tabs[2].waitForSelector(`.claim-card[data-id="${o.id}"]`);
  assert.equal((await sim.connections()).authenticated, 1, "one socket for the tabs and the bot");
  // The history counts the bot's wins (once, whichever tabs heard them).
  await tabs[0].waitForFunction(() => document.querySelector("#history-summary").textContent.startsWith("Won 2, lost 0"));
});

test("auto-claim: max open claims and the daily USD cap hold", async (t) => {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  const [p] = await openTabs(ctx, 1);
  await startAuto(p, { limits: "GHS:100000", maxOpen: "2" });
  await goLive(p);
  const ghs = [];
  for (let i = 0; i < 4; i++) ghs.push(await sim.order({ currency: "GHS", amount_fiat: 100 + i }));
  await until(async () => (await Promise.all(ghs.map((o) => claimPosts(o.id)))).reduce((a, b) => a + b) >= 2, 10000, "two claims");
  await settle();
  const posts = await Promise.all(ghs.map((o) => claimPosts(o.id)));
  assert.equal(posts.reduce((a, b) => a + b), 2, `MAX_OPEN_CLAIMS=2: ${posts}`);
  await p.waitForFunction(() => document.querySelector("#ac-status").textContent.includes("2/2 open claims"));

  // The daily cap, in another profile (a fresh journal) and key: one order's USD fits, two do not.
  const ctx2 = await browser.newContext();
  t.after(() => ctx2.close());
  const [q] = await openTabs(ctx2, 1, KEY2);
  // UGX 370,000 is about USD 99.46 at the simulator's rate: a cap of 150 takes one.
  const cap = "150";
  await startAuto(q, { limits: "UGX:1000000", dailyCap: cap });
  await goLive(q);
  const first = await sim.order({ currency: "UGX", amount_fiat: 370000 });
  assert.ok(first.amount_usd > 75 && first.amount_usd < 150, `USD ${first.amount_usd}`);
  await until(async () => (await claimPosts(first.id)) === 1, 10000, "the first UGX order claimed");
  const second = await sim.order({ currency: "UGX", amount_fiat: 370000 });
  await settle();
  assert.equal(await claimPosts(second.id), 0, `DAILY_USD_CAP=${cap}: the second order would pass it`);
  assert.equal((await sim.orderInfo(first.id)).lp_id, 13);
});

test("auto-claim: dry run sends no claim; pause stops claiming, resume goes on", async (t) => {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  const [p] = await openTabs(ctx, 1);
  await startAuto(p, { limits: "ZAR:100000" });
  const dry = await sim.order({ currency: "ZAR", amount_fiat: 500 });
  await p.waitForFunction(() => /would have claimed [1-9]/.test(document.querySelector("#ac-status").textContent), null, { timeout: 10000 });
  await settle();
  assert.equal(await claimPosts(dry.id), 0, "dry run: no POST");
  assert.equal((await sim.orderInfo(dry.id)).status, "open");
  await goLive(p);
  await p.click("#ac-pause");
  await p.waitForFunction(() => document.querySelector("#autoclaim").dataset.paused === "true");
  const paused = await sim.order({ currency: "ZAR", amount_fiat: 600 });
  await settle();
  assert.equal(await claimPosts(paused.id), 0, "paused: no POST");
  await p.click("#ac-pause"); // Resume
  await p.waitForFunction(() => document.querySelector("#autoclaim").dataset.paused === "false");
  const after = await sim.order({ currency: "ZAR", amount_fiat: 700 });
  await until(async () => (await claimPosts(after.id)) === 1, 10000, "claimed after resume");
  // Seen in dry run, the first order was journaled as a would-claim: going live does not claim it.
  assert.equal(await claimPosts(dry.id), 0);
});

test("auto-claim: dry run sends no claim through a drop, a resync and restarts; live and back are journaled and kept", async (t) => {
  // A simulator of its own: its request log is this test's alone, so "no claim" is exact.
  const own = await startSim(["--complete-after-ms", "300", "--seed", "21"]);
  t.after(() => own.stop());
  const site = await serveDashboard(own);
  t.after(() => site.close());
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  const t0 = Date.now();
  const rules = { limits: "KES:50000" };
  const claims = async () => (await own.requests()).filter((l) => /^POST \/api\/orders\/[^/]+\/claim/.test(l));
  const wouldClaims = async (p) => (await botReport(p)).summary.windows.map((w) => w.id);
  const seen = (p, id, what) => until(async () => (await wouldClaims(p)).includes(id), 10000, `a would-claim for ${what} #${id}`);
  /** Every tab closes (the SharedWorker goes with the last one) and a new tab connects: no bot runs until Start. */
  const restart = async (q) => {
    await q.close();
    await until(async () => (await own.connections()).total === 0, 10000, "the socket closed with the last tab");
    const [n] = await openTabs(ctx, 1, KEY, site.url);
    assert.deepEqual(await botReport(n), { running: false }, "a new worker: no bot runs before Start");
    return n;
  };

  const [p] = await openTabs(ctx, 1, KEY, site.url);
  await startAuto(p, rules);
  const a = await own.order({ currency: "KES", amount_fiat: 1000 });
  const miss = await own.order({ currency: "KES", amount_fiat: 90000 });
  await seen(p, a.id, "a live order");

  // The socket drops and stays down (upgrades refused) while an order is created: it can
  // only reach the bot through the reconnect's `init` resync.
  await own.faults({ upgrade_reject_count: 1000 });
  await own.drop("close");
  await until(async () => (await own.connections()).total === 0, 10000, "the socket dropped");
  await p.waitForFunction(() => document.querySelector("#badge").textContent !== "Live");
  const b = await own.order({ currency: "KES", amount_fiat: 2000 });
  await own.faults({});
  await p.waitForFunction(() => document.querySelector("#badge").textContent === "Live", null, { timeout: 20000 });
  await seen(p, b.id, "the resync's order");
  assert.ok((await own.requests()).filter((l) => l.startsWith("GET /ws")).length >= 2, "the client reconnected");

  // Restart in dry run: the bot comes back in dry run, its would-claims stay would-claims.
  const p2 = await restart(p);
  assert.equal(await p2.textContent("#ac-start"), "Start in dry run");
  await startAuto(p2, rules);
  const after1 = await botReport(p2);
  assert.match(after1.status.banner, /^DRY RUN/);
  for (const o of [a, b]) assert.ok(after1.summary.windows.some((w) => w.id === o.id), `#${o.id} still a would-claim after the restart`);
  const c = await own.order({ currency: "KES", amount_fiat: 3000 });
  await seen(p2, c.id, "an order after the restart");
  await p2.waitForFunction(() => /would have claimed [1-9]/.test(document.querySelector("#ac-status").textContent));
  await settle(1000);
  assert.deepEqual(await claims(), [], "dry run: no POST /api/orders/*/claim through the drop, the resync and the restart");
  assert.deepEqual((await botReport(p2)).status.by_state, { would_claim: 3 }, "three would-claims, nothing else journaled");
  assert.ok(!(await wouldClaims(p2)).includes(miss.id), "the order over the limit is no would-claim");

  // Go live (confirmed): a new matching order is claimed once; the open would-claims are not.
  await goLive(p2);
  const d = await own.order({ currency: "KES", amount_fiat: 4000 });
  await until(async () => (await claims()).length >= 1, 10000, "the live order claimed");
  // Restart while live: Start resumes the journal's mode (the settings still say DRY_RUN=true),
  // and says so; the would-claims the new socket's `init` brings back are not claimed.
  const p3 = await restart(p2);
  assert.equal(await p3.textContent("#ac-start"), "Start: resumes live claiming");
  await p3.click("#ac-start");
  await p3.waitForFunction(() => document.querySelector("#ac-status").textContent.startsWith("Live: claiming"), null, { timeout: 15000 });
  const f = await own.order({ currency: "KES", amount_fiat: 4500 });
  await until(async () => (await claims()).length >= 2, 10000, "the order after the live restart claimed");
  // Back to dry run: the next one is not claimed.
  await p3.click("#ac-dry");
  await p3.waitForFunction(() => document.querySelector("#autoclaim").dataset.mode === "dry_run");
  const e = await own.order({ currency: "KES", amount_fiat: 5000 });
  await seen(p3, e.id, "an order back in dry run");
  await settle(1000);
  assert.deepEqual(await claims(), [`POST /api/orders/${d.id}/claim`, `POST /api/orders/${f.id}/claim`], "claims over the whole test: the two live orders', once each");
  for (const o of [a, b, c, e]) assert.equal((await own.orderInfo(o.id)).status, "open", `#${o.id} never claimed`);

  // Another restart: still dry run; the switches are in the journal with their time and source.
  const p4 = await restart(p3);
  assert.equal(await p4.textContent("#ac-start"), "Start in dry run");
  await startAuto(p4, rules);
  const history = (await botReport(p4)).status.mode_history;
  const switches = history.filter((r) => r.source !== "connection").reverse();
  assert.deepEqual(switches.map((r) => [r.mode, r.source]), [["dry_run", "setting"], ["live", "command"], ["dry_run", "command"]], JSON.stringify(history));
  const at = switches.map((r) => r.at);
  assert.ok(t0 <= at[0] && at[0] <= at[1] && at[1] <= at[2] && at[2] <= Date.now(), `switch times ${at}`);
  await settle(1000);
  assert.equal((await claims()).length, 2, "no claim after the last restart");
  assert.deepEqual(pageErrors, [], "no uncaught page errors");
});

test("auto-claim: a frozen (hidden) tab does not stop it: the worker claims", async (t) => {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  const [p] = await openTabs(ctx, 1);
  await startAuto(p, { limits: "XOF:100000" });
  await goLive(p);
  // The tab is frozen as Chrome freezes a background tab: none of its JS or timers run.
  const cdp = await ctx.newCDPSession(p);
  await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
  const o = await sim.order({ currency: "XOF", amount_fiat: 2500 });
  await until(async () => (await sim.orderInfo(o.id)).status === "claimed", 10000, "claimed while the tab is frozen");
  assert.equal(await claimPosts(o.id), 1);
  await cdp.send("Page.setWebLifecycleState", { state: "active" });
  await p.waitForSelector(`.claim-card[data-id="${o.id}"]`);
});

test("auto-claim: a page with neither SharedWorker nor Web Locks refuses it, saying why", async (t) => {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  await ctx.addInitScript(() => {
    delete window.SharedWorker;
    Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined, configurable: true });
  });
  const p = await ctx.newPage();
  await p.goto(`${web.url}/`);
  await p.waitForSelector("#ac-refused:not([hidden])");
  assert.match(await p.textContent("#ac-refused"), /needs SharedWorker, or Web Locks/);
  assert.equal(await p.isDisabled("#ac-start"), true);
});

test("auto-claim: without SharedWorker the Web-Locks leader's worker runs it; a new leader takes it over", async (t) => {
  const ctx = await browser.newContext();
  t.after(() => ctx.close());
  await ctx.addInitScript(() => { delete window.SharedWorker; });
  const tabs = await openTabs(ctx, 2);
  const modes = await Promise.all(tabs.map((p) => p.evaluate(async () => (await import("./pkg/shared.js")).sharedMode())));
  const follower = tabs[modes.indexOf("follower")];
  const leader = tabs[modes.indexOf("leader")];
  await startAuto(follower, { limits: "MWK:900000" });
  await goLive(follower);
  const o = await sim.order({ currency: "MWK", amount_fiat: 12000 });
  await until(async () => (await claimPosts(o.id)) === 1, 10000, "claimed by the leader's worker");
  // The leader's tab closes: the follower's hub starts the bot again from its journal (live).
  await leader.close();
  // (A status poll may be unanswered by the closed hub when it goes: the start is sent again anyway.)
  await until(async () => (await botReport(follower)).status?.mode === "live", 15000, "the new leader's bot, live from its journal");
  const o2 = await sim.order({ currency: "MWK", amount_fiat: 13000 });
  await until(async () => (await claimPosts(o2.id)) === 1, 15000, "claimed by the new leader's worker").catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await botReport(follower)).slice(0, 3000)}`);
  });
  await settle();
  assert.equal(await claimPosts(o.id), 1, "the first order was not claimed again");
  assert.equal(await claimPosts(o2.id), 1);
  assert.deepEqual(pageErrors, [], "no uncaught page errors");
});
