// The dashboard's history and totals (issue 19), headless Chromium against rampwire-sim:
// won, lost and completed orders kept in IndexedDB per LP, totals per currency and in USD,
// win rate, claim latency p50/p95, and the CSV export read back through the download.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { KEY, KEY2 } from "./sim.mjs";
import { startDashboard, stopDashboard, openTabs as openTabsOf } from "./dashboard-harness.mjs";

let sim, web, browser;
const pageErrors = [];

before(async () => ({ sim, web, browser } = await startDashboard(["--complete-after-ms", "300", "--seed", "9"])));
after(() => stopDashboard({ sim, web, browser }));

const openTab = async (ctx, key = KEY) => (await openTabsOf(ctx, web.url, 1, key, pageErrors))[0];

/** The CSV's lines as arrays of fields (no quoted commas in this data). */
const rowsOf = (csv) => csv.trim().split("\r\n").map((l) => l.split(","));
const round2 = (n) => Math.round(n * 100) / 100;

test("history: won, lost and completed orders with totals per currency and in USD, win rate, latency; CSV export; survives a reload; never the key", async (t) => {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 800 } });
  t.after(() => ctx.close());
  // Two tabs: both hear every outcome; the history counts each order once.
  const a = await openTab(ctx);
  const b = await openTab(ctx);
  const kes = await sim.order({ currency: "KES", amount_fiat: 12500 });
  const ngn = await sim.order({ currency: "NGN", amount_fiat: 136800 });
  const ghs = await sim.order({ currency: "GHS", amount_fiat: 240 });
  for (const o of [kes, ngn, ghs]) await a.waitForSelector(`tr[data-id="${o.id}"] button.claim`);
  // GHS goes to another LP over HTTP (no broadcast): our click loses it.
  const r = await fetch(`${sim.base}/api/orders/${ghs.id}/claim`, { method: "POST", headers: { authorization: `Bearer ${KEY2}` } });
  assert.equal(r.status, 200);
  await a.click(`tr[data-id="${kes.id}"] button.claim`);
  await b.click(`tr[data-id="${ngn.id}"] button.claim`);
  await a.click(`tr[data-id="${ghs.id}"] button.claim`);
  await a.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"] .outcome`)?.textContent === "Lost to another LP", ghs.id);
  // NGN: fiat sent, then the server completes it.
  const card = `.claim-card[data-id="${ngn.id}"]`;
  await a.waitForSelector(`${card} button.primary:not([disabled])`);
  await a.click(`${card} button.primary`);
  await a.click(`${card} .confirm button.primary`);
  await a.waitForSelector(`${card}[data-status=completed]`, { timeout: 10000 });
  for (const p of [a, b]) {
    await p.waitForFunction(() => document.querySelector("#history-summary").textContent.startsWith("Won 2, lost 1, completed 1 · win rate 67 %"), null, { timeout: 5000 });
  }
  const perCurrency = await a.$$eval("#history-rows tr[data-currency]", (trs) => trs.map((tr) => [tr.dataset.currency, ...[...tr.cells].slice(1, 4).map((c) => c.textContent)]));
  assert.deepEqual(perCurrency, [["GHS", "0", "1", "0"], ["KES", "1", "0", "0"], ["NGN", "1", "0", "1"]]);
  const wonUsd = round2(kes.amount_usd + ngn.amount_usd);
  const usdText = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(wonUsd);
  assert.equal(await a.textContent("#history-rows tr.total td:last-child"), usdText, "USD total of the won orders");

  // CSV: one row per order, the totals, the latency; read from the download itself.
  const [download] = await Promise.all([a.waitForEvent("download"), a.click("#history-export")]);
  assert.match(download.suggestedFilename(), /^rampwire-history-lp12-\d{4}-\d\d-\d\d\.csv$/);
  const csv = await readFile(await download.path(), "utf8");
  assert.ok(!csv.includes(KEY) && !csv.includes(KEY2), "no key in the CSV");
  const lines = rowsOf(csv);
  assert.deepEqual(lines[0], ["order_id", "outcome", "status", "currency", "amount_fiat", "amount_usd", "claim_ms", "claimed_by", "claimed_at"]);
  const orders = new Map(lines.slice(1).filter((l) => /^\d+$/.test(l[0])).map((l) => [Number(l[0]), l]));
  assert.equal(orders.size, 3, "three orders, each once");
  assert.deepEqual(orders.get(kes.id).slice(1, 6), ["won", "claimed", "KES", "12500", String(kes.amount_usd)]);
  assert.deepEqual(orders.get(ngn.id).slice(1, 4), ["won", "completed", "NGN"]);
  assert.deepEqual(orders.get(ghs.id).slice(1, 4), ["lost", "lost", "GHS"]);
  for (const l of orders.values()) assert.match(l[6], /^\d+$/, "claim latency in ms");
  const total = lines.find((l) => l[0] === "all");
  assert.deepEqual(total.slice(1, 5), ["USD", "2", "1", "1"]);
  assert.equal(Number(total[7]), wonUsd, "won USD");
  assert.equal(Number(total[8]), round2(ngn.amount_usd), "completed USD");
  assert.equal(Number(lines.find((l) => l[0] === "win_rate")[1]), 0.67);
  const ms = [...orders.values()].map((l) => Number(l[6])).sort((x, y) => x - y);
  assert.equal(Number(lines.find((l) => l[0] === "claim_ms_p50")[1]), ms[1]);
  assert.equal(Number(lines.find((l) => l[0] === "claim_ms_p95")[1]), ms[2]);

  // Nothing stored names the key; after a reload the history is read back.
  const stored = await a.evaluate(() => new Promise((resolve) => {
    const r = indexedDB.open("rampwire-dashboard-history");
    r.onsuccess = () => { const q = r.result.transaction("orders").objectStore("orders").getAll(); q.onsuccess = () => resolve(JSON.stringify(q.result)); };
  }));
  assert.ok(!stored.includes(KEY), "no key in the history store");
  await b.close();
  await a.reload();
  await a.waitForSelector("body[data-ready=true]");
  await a.fill("#lp-key", KEY);
  await a.press("#lp-key", "Enter");
  await a.waitForFunction(() => document.querySelector("#history-summary").textContent.startsWith("Won 2, lost 1, completed 1"), null, { timeout: 10000 });

  // Another LP's history (same profile, other key) is its own.
  const other = await ctx.newPage();
  await other.goto(`${web.url}/`);
  await other.waitForSelector("body[data-ready=true]");
  await other.fill("#lp-key", KEY2);
  await other.press("#lp-key", "Enter");
  await other.waitForFunction(() => document.querySelector("#history-summary").textContent.startsWith("Won 0, lost 0"), null, { timeout: 10000 });
  assert.deepEqual(pageErrors, [], "no uncaught page errors");
});
