// The dashboard's stable blotter (issue 19, points 2 and 5): rows hold still under the
// pointer and the focus, sortable columns, a limit per currency, saved filters, and rows
// taken over HTTP (never broadcast) re-checked and marked. Headless Chromium against
// rampwire-sim, with the release package.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { mkdirSync } from "node:fs";
import { startSim, ROOT, KEY, KEY2 } from "./sim.mjs";
import { startDashboard, stopDashboard, serveDashboard } from "./dashboard-harness.mjs";

const ART = path.join(ROOT, "tests/artifacts");
mkdirSync(ART, { recursive: true });

let sim, web, browser;
const pageErrors = [];

before(async () => ({ sim, web, browser } = await startDashboard(["--seed", "7", "--complete-after-ms", "300"], { demoKeys: [KEY, KEY2] })));
after(() => stopDashboard({ sim, web, browser }));

async function open(ctxOptions = { viewport: { width: 1366, height: 800 } }, ctx = null) {
  ctx ??= await browser.newContext(ctxOptions);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${web.url}/`);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

async function connect(page, key = KEY) {
  await page.fill("#lp-key", key);
  await page.press("#lp-key", "Enter");
  await page.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
}

const rowIds = (page) => page.$$eval("#order-rows tr:not([hidden])", (trs) => trs.map((t) => Number(t.dataset.id)));
const center = (b) => [b.x + b.width / 2, b.y + b.height / 2];

test("blotter: a click aimed at a row while new orders arrive lands on that row's Claim; finished rows leave once the pointer is out", async () => {
  const page = await open();
  await connect(page);
  const made = [];
  for (const [currency, amount_fiat] of [["GHS", 240], ["NGN", 136800], ["KES", 5000], ["UGX", 90000]]) made.push(await sim.order({ currency, amount_fiat }));
  await page.waitForFunction((n) => document.querySelectorAll("#order-rows tr").length >= n, made.length);
  const aim = made[0]; // 240 GHS: the bottom of the four, newest first
  const sel = `tr[data-id="${aim.id}"] button.claim`;
  const box = await page.locator(sel).boundingBox();
  await page.mouse.move(...center(box));
  // Orders arrive while the pointer is on the way down: they wait behind the bar.
  const late = [];
  for (let i = 0; i < 3; i++) late.push(await sim.order({ currency: "NGN", amount_fiat: 136800 + i }));
  await page.waitForFunction(() => document.querySelector("#news-bar").textContent.startsWith("3 new"));
  assert.deepEqual(await page.locator(sel).boundingBox(), box, "the aimed row did not move");
  for (const o of late) assert.equal(await page.$(`tr[data-id="${o.id}"]`), null, `#${o.id} waits behind the bar`);
  await page.mouse.down();
  await page.mouse.up();
  await page.waitForSelector(`tr[data-id="${aim.id}"] .outcome.won`);
  const mine = (await sim.get("/_sim/orders")).filter((o) => o.lp_id === 12).map((o) => o.id);
  assert.deepEqual(mine, [aim.id], "the click claimed the order it was aimed at, and only it");
  // The won row stays put past its outcome time while the pointer is in the table.
  const ys = () => Promise.all(made.map((o) => page.locator(`tr[data-id="${o.id}"]`).boundingBox().then((b) => b.y)));
  const y0 = await ys();
  await new Promise((r) => setTimeout(r, 2800));
  assert.equal(await page.getAttribute(`tr[data-id="${aim.id}"]`, "data-state"), "won", "the won row stays while the pointer is in");
  assert.deepEqual(await ys(), y0, "no row moved");
  await page.screenshot({ path: `${ART}/dashboard-blotter-held.png` });
  // The pointer leaves: the waiting rows come in, the finished row goes.
  await page.mouse.move(5, 5);
  await page.waitForSelector(`tr[data-id="${aim.id}"]`, { state: "detached", timeout: 2000 });
  for (const o of late) await page.waitForSelector(`tr[data-id="${o.id}"]`, { timeout: 2000 });
  assert.equal(await page.textContent("#news-bar"), "Up to date");
  await page.context().close();
});

test("blotter: with the keyboard on a Claim, a new row waits; the bar (or N) shows it and focuses its Claim", async () => {
  const page = await open();
  await connect(page);
  const first = await sim.order({ currency: "KES", amount_fiat: 700 });
  await page.waitForSelector(`tr[data-id="${first.id}"]`);
  await page.focus(`tr[data-id="${first.id}"] button.claim`);
  const o = await sim.order({ currency: "KES", amount_fiat: 800 });
  await page.waitForFunction(() => document.querySelector("#news-bar").textContent.startsWith("1 new"));
  assert.equal(await page.$(`tr[data-id="${o.id}"]`), null);
  assert.equal(await page.getAttribute("#news-bar", "aria-keyshortcuts"), "N");
  await page.keyboard.press("n");
  await page.waitForSelector(`tr[data-id="${o.id}"]`);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), `Claim order ${o.id}`, "focus on the new row's Claim");
  await page.context().close();
});

test("blotter: sortable columns with aria-sort; a limit per currency; filters and sort saved (never the key)", async () => {
  const page = await open();
  await connect(page);
  for (const [currency, amount_fiat, amount_usd] of [["KES", 9000, 70], ["KES", 3000, 23], ["NGN", 150000, 97], ["NGN", 50000, 32]]) await sim.order({ currency, amount_fiat, amount_usd });
  await page.waitForFunction(() => document.querySelectorAll("#order-rows tr").length >= 4);
  assert.equal(await page.getAttribute("th[data-sort=id]", "aria-sort"), "descending", "newest first by default");
  await page.click("th[data-sort=usd] button");
  assert.equal(await page.getAttribute("th[data-sort=usd]", "aria-sort"), "descending");
  assert.equal(await page.getAttribute("th[data-sort=id]", "aria-sort"), null);
  const usd = () => page.$$eval("#order-rows tr:not([hidden]) td:nth-child(4)", (t) => t.map((x) => Number(x.textContent.replace(/[$,]/g, ""))));
  let v = await usd();
  assert.deepEqual(v, [...v].sort((a, b) => b - a), `USD descending: ${v}`);
  await page.click("th[data-sort=usd] button");
  assert.equal(await page.getAttribute("th[data-sort=usd]", "aria-sort"), "ascending");
  v = await usd();
  assert.deepEqual(v, [...v].sort((a, b) => a - b), `USD ascending: ${v}`);
  // A limit per currency: KES up to 5,000, NGN up to 100,000.
  await page.selectOption("#filter-currency", "KES");
  await page.fill("#filter-max", "5000");
  await page.selectOption("#filter-currency", "NGN");
  assert.equal(await page.inputValue("#filter-max"), "", "each currency has its own limit");
  await page.fill("#filter-max", "100000");
  await page.selectOption("#filter-currency", "");
  const shown = await page.$$eval("#order-rows tr:not([hidden])", (trs) => trs.map((t) => [t.children[2].textContent, Number(t.children[1].dataset.cur && t.children[1].textContent.replace(/\D/g, ""))]));
  assert.ok(shown.length >= 2 && shown.every(([c, a]) => (c === "KES" ? a <= 5000 : c === "NGN" ? a <= 100000 : true)), JSON.stringify(shown));
  assert.match(await page.textContent("#filter-limits"), /KES ≤ 5,000.*NGN ≤ 100,000/);
  // Saved: a reload shows the same view; the key is in no storage of this kind.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await page.getAttribute("th[data-sort=usd]", "aria-sort"), "ascending");
  await page.selectOption("#filter-currency", "KES");
  assert.equal(await page.inputValue("#filter-max"), "5000");
  const stored = await page.evaluate(() => JSON.stringify(localStorage));
  assert.ok(!stored.includes(KEY), stored);
  await page.context().close();
});

test("blotter: orders taken over HTTP (never broadcast) are re-checked past the threshold and marked, not left open", async () => {
  // Competitors take 75 % of the orders over HTTP only, 0.1–0.8 s after they appear.
  const busy = await startSim(["--seed", "11", "--rate", "3", "--competitors", "2", "--competitor-share", "0.75", "--competitor-ws-share", "0", "--competitor-delay-ms", "100..800"]);
  const site = await serveDashboard(busy);
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  try {
    // Three tabs of one browser: one of them re-checks for all (the look-ups stay bounded).
    const pages = [];
    const THRESHOLD_S = 2;
    for (let i = 0; i < 3; i++) {
      const page = await ctx.newPage();
      page.on("pageerror", (e) => pageErrors.push(e.message));
      await page.goto(`${site.url}/`);
      await page.waitForSelector("body[data-ready=true]");
      await page.fill("#stale-after", String(THRESHOLD_S));
      await connect(page);
      await page.mouse.move(1, 1);
      pages.push(page);
    }
    const start = (await busy.get("/_sim/requests")).length;
    await new Promise((r) => setTimeout(r, 10000));
    const [tabs, server] = await Promise.all([
      Promise.all(pages.map((p) => p.$$eval("#order-rows tr", (trs) => trs.map((t) => ({ id: Number(t.dataset.id), state: t.dataset.state }))))),
      busy.get("/_sim/orders"),
    ]);
    const byId = new Map(server.map((o) => [o.id, o]));
    const now = Date.now();
    for (const rows of tabs) {
      // Every competitor claim lands before an order is 1 s old; the page looks at rows
      // from 2 s on, four a second at most: a row 4 s old that is still "open" must be open.
      const wrong = rows.filter((r) => r.state === "open").map((r) => byId.get(r.id)).filter((o) => o && o.status !== "open" && now - Date.parse(o.created_at) > (THRESHOLD_S + 2) * 1000);
      assert.deepEqual(wrong.map((o) => [o.id, o.status]), [], "no open row is already claimed on the server beyond the threshold, in any tab");
      const openShown = rows.filter((r) => r.state === "open").length;
      const openOnServer = server.filter((o) => o.status === "open").length;
      assert.ok(openShown <= openOnServer + 12, `${openShown} open rows shown, ${openOnServer} open on the server`);
    }
    const takenOverHttp = server.filter((o) => o.status !== "open" && now - Date.parse(o.created_at) > 4000).length;
    assert.ok(takenOverHttp >= 8, `competitors took ${takenOverHttp} orders over HTTP`);
    // The look-ups went through the client, with the key in the header, never in a URL.
    const lookups = (await busy.get("/_sim/requests")).slice(start).filter((l) => /^GET \/api\/orders\/\d+/.test(l));
    assert.ok(lookups.length > 0 && lookups.every((l) => !l.includes(KEY)), `${lookups.length} look-ups`);
    // Bounded: at most 4 a second over the 10 s, for the three tabs together.
    assert.ok(lookups.length <= 4 * 11, `${lookups.length} look-ups in ~10 s from 3 tabs`);
  } finally {
    await ctx.close();
    await site.close();
    await busy.stop();
  }
});

test("blotter: a tab that gets a row after the checking tab found it taken shows it taken too (the shared book still has it)", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  try {
    const a = await open(undefined, ctx);
    await a.fill("#stale-after", "1");
    await connect(a);
    await a.mouse.move(1, 1);
    const o = await sim.order({ currency: "KES", amount_fiat: 7100 });
    await a.waitForSelector(`tr[data-id="${o.id}"]`);
    // Another LP takes it over HTTP: no broadcast, so only a look-up can tell.
    const r = await fetch(`${sim.base}/api/orders/${o.id}/claim`, { method: "POST", headers: { Authorization: `Bearer ${KEY2}`, "Content-Type": "application/json" }, body: "{}" });
    assert.equal(r.status, 200);
    const notOpen = (id) => !document.querySelector(`tr[data-id="${id}"][data-state=open]`);
    await a.waitForFunction(notOpen, o.id, { timeout: 8000 });
    // A tab opened now gets the order from the one client's book, still "open" there; the
    // first tab, which checks for both, never looks at it again.
    const still = await sim.order({ currency: "KES", amount_fiat: 7200 });
    const b = await open(undefined, ctx);
    await b.fill("#stale-after", "1");
    await connect(b);
    await b.mouse.move(1, 1);
    // (Taken rows are struck through, then leave once the pointer is out: either is right.)
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(await b.evaluate(notOpen, o.id), "the second tab shows the order taken elsewhere, not open with a live Claim");
    assert.ok(await b.$(`tr[data-id="${still.id}"][data-state=open]`), "the second tab shows the book's open order");
  } finally {
    await ctx.close();
  }
});

test("blotter: no page errors", () => {
  assert.deepEqual(pageErrors, []);
});
