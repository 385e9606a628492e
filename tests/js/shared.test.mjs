// rampwire-lp/shared in headless Chromium (issue 19): the dashboard (www/) open in 8 tabs
// of one key shares ONE socket, one book and one claim per order; closing the tab that
// holds the client hands over; without SharedWorker a Web-Locks leader does the same.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { KEY, until } from "./sim.mjs";
import { startDashboard, stopDashboard, openTabs as openTabsOf } from "./dashboard-harness.mjs";

let sim, web, browser;
const pageErrors = [];

before(async () => ({ sim, web, browser } = await startDashboard(["--initial-orders", "4", "--complete-after-ms", "300", "--seed", "5"])));
after(() => stopDashboard({ sim, web, browser }));

/** Opens `n` dashboard tabs in one browser profile (context), each connected with `key`. */
const openTabs = (ctx, n, key = KEY) => openTabsOf(ctx, web.url, n, key, pageErrors);

const rowIds = (p) => p.$$eval("#order-rows tr", (trs) => trs.map((t) => Number(t.dataset.id)));
const claimIds = (p) => p.$$eval(".claim-card", (cs) => cs.map((c) => Number(c.dataset.id)).sort((a, b) => a - b));

/** Sockets the simulator holds for authenticated LPs now, and their peak per LP. */
async function sockets() {
  const c = await sim.connections();
  return { now: c.authenticated, peak: Math.max(0, ...Object.values(c.peak_by_lp)) };
}

async function modeOf(p) {
  return p.evaluate(async () => (await import("./pkg/shared.js")).sharedMode());
}

test("shared: 8 tabs of one key share one socket, one book, one claim; the worker outlives closed tabs", async (t) => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  t.after(() => ctx.close());
  const tabs = await openTabs(ctx, 8);
  assert.equal(await modeOf(tabs[0]), "shared-worker");
  const s = await sockets();
  assert.equal(s.now, 1, "one socket for 8 tabs");
  assert.equal(s.peak, 1, "never more than one socket for the LP");
  // Every tab shows the same book, including an order created now.
  const o = await sim.order({ currency: "KES", amount_fiat: 5100 });
  await Promise.all(tabs.map((p) => p.waitForSelector(`tr[data-id="${o.id}"]`)));
  const books = await Promise.all(tabs.map(rowIds));
  for (const b of books) assert.deepEqual(b, books[0], "same book in every tab");
  // Two tabs click Claim on the same order at once: one claim reaches the server, both
  // tabs show "Won", and every tab lists the claim.
  // (The claim's answer is held 800 ms so the second click lands while the first runs.)
  const sel = `tr[data-id="${o.id}"] button.claim`;
  await sim.faults({ rest_delay_ms: 800, rest_delay_count: 1 });
  // Both clicks at once, as DOM clicks: a row whose state another tab's claim has already
  // changed is re-rendered, and a pointer click would wait for a button that is gone.
  const clicked = await Promise.all([tabs[1], tabs[5]].map((p) => p.evaluate((s) => {
    const b = document.querySelector(s);
    b?.click();
    return b !== null;
  }, sel)));
  assert.deepEqual(clicked, [true, true], "both tabs clicked Claim");
  for (const p of [tabs[1], tabs[5]]) {
    await p.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"] .outcome`)?.textContent === "Won ✓", o.id);
  }
  await Promise.all(tabs.map((p) => p.waitForSelector(`.claim-card[data-id="${o.id}"]`)));
  assert.equal((await sim.orderInfo(o.id)).status, "claimed");
  const sent = (await sim.requests()).filter((l) => l.startsWith(`POST /api/orders/${o.id}/claim`));
  assert.equal(sent.length, 1, `one claim sent for two clicks: ${sent.join(" | ")}`);
  // Closing tabs one by one (the SharedWorker outlives them) keeps one socket.
  for (const p of tabs.slice(0, 7)) await p.close();
  const o2 = await sim.order({ currency: "NGN" });
  await tabs[7].waitForSelector(`tr[data-id="${o2.id}"]`);
  assert.equal((await sockets()).now, 1);
  await ctx.close();
  await until(async () => (await sockets()).now === 0, 5000, "the last tab's socket closed");
});

test("shared: without SharedWorker a Web-Locks leader holds the client; others follow; hand-over on close", async (t) => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  t.after(() => ctx.close());
  await ctx.addInitScript(() => { delete window.SharedWorker; });
  const tabs = await openTabs(ctx, 4);
  const modes = await Promise.all(tabs.map(modeOf));
  assert.equal(modes.filter((m) => m === "leader").length, 1, `one leader: ${modes}`);
  assert.equal(modes.filter((m) => m === "follower").length, 3);
  assert.equal((await sockets()).now, 1, "one socket for 4 tabs");
  const o = await sim.order({ currency: "GHS", amount_fiat: 240 });
  await Promise.all(tabs.map((p) => p.waitForSelector(`tr[data-id="${o.id}"]`)));
  // A follower claims; the leader and the others show the claim.
  const follower = tabs[modes.indexOf("follower")];
  await follower.click(`tr[data-id="${o.id}"] button.claim`);
  // The pointer leaves the table (the stable blotter holds new rows while it is in).
  await follower.mouse.move(1, 1);
  await Promise.all(tabs.map((p) => p.waitForSelector(`.claim-card[data-id="${o.id}"]`)));
  // The leader's tab closes: another tab takes over within a few seconds, on one socket.
  const leader = tabs[modes.indexOf("leader")];
  const rest = tabs.filter((p) => p !== leader);
  const t0 = Date.now();
  await leader.close();
  await until(async () => (await Promise.all(rest.map(modeOf))).includes("leader"), 5000, "a new leader");
  await Promise.all(rest.map((p) => p.waitForFunction(() => document.querySelector("#badge").textContent === "Live", null, { timeout: 5000 })));
  const took = Date.now() - t0;
  assert.ok(took < 5000, `handed over in ${took} ms`);
  await until(async () => (await sockets()).now === 1, 5000, "one socket after the hand-over");
  const o2 = await sim.order({ currency: "KES" });
  await Promise.all(rest.map((p) => p.waitForSelector(`tr[data-id="${o2.id}"]`)));
  // A claim after the hand-over (new hub, new LpClient) from two tabs: one request, both won.
  // As DOM clicks, at once (see the first test: a pointer click would wait for a button
  // that the other tab's claim has already replaced by its outcome).
  const clicked = await Promise.all(rest.slice(0, 2).map((p) => p.evaluate((sel) => {
    const b = document.querySelector(sel);
    b?.click();
    return b !== null;
  }, `tr[data-id="${o2.id}"] button.claim`)));
  assert.deepEqual(clicked, [true, true], "both tabs clicked Claim");
  await Promise.all(rest.map((p) => p.waitForSelector(`.claim-card[data-id="${o2.id}"]`)));
  const sent = (await sim.requests()).filter((l) => l.startsWith(`POST /api/orders/${o2.id}/claim`));
  assert.equal(sent.length, 1, `one claim sent: ${sent.join(" | ")}`);
  for (const id of [o.id]) assert.equal((await sim.requests()).filter((l) => l.startsWith(`POST /api/orders/${id}/claim`)).length, 1);
  await ctx.close();
  assert.deepEqual(pageErrors, [], "no uncaught page errors");
});
