// The operator dashboard (www/) in headless Chromium against rampwire-sim, with the
// optimised release package. Screenshots of the main states go to tests/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { mkdirSync } from "node:fs";
import { ROOT, KEY, KEY2 } from "./sim.mjs";
import { startDashboard, stopDashboard } from "./dashboard-harness.mjs";

const ART = path.join(ROOT, "tests/artifacts");
mkdirSync(ART, { recursive: true });

let sim, web, browser;
const consoleLines = [];
const pageErrors = [];

before(async () => ({ sim, web, browser } = await startDashboard(["--initial-orders", "5", "--complete-after-ms", "300", "--seed", "3"], { demoKeys: [KEY, KEY2] })));
after(() => stopDashboard({ sim, web, browser }));

async function openPage(opts = {}) {
  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  page.on("console", (m) => consoleLines.push({ type: m.type(), text: m.text() }));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${web.url}/`);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

/** Connects with the keyboard only: type the key, press Enter. */
async function connectWith(page, key, currencies = "") {
  await page.focus("#lp-key");
  await page.keyboard.type(key);
  if (currencies) {
    await page.focus("#currencies");
    await page.keyboard.type(currencies);
  }
  await page.focus("#lp-key");
  await page.keyboard.press("Enter");
}

const rowIds = (page) => page.$$eval("#order-rows tr:not([hidden])", (trs) => trs.map((t) => Number(t.dataset.id)));
const badge = (page) => page.textContent("#badge");

let a, b;

test("dashboard: loads clean, connects with the keyboard, shows the init orders", async () => {
  a = await openPage({ viewport: { width: 1400, height: 900 } });
  assert.equal(await a.inputValue("#api-url"), sim.base, "API URL defaults to the simulator");
  assert.equal(await a.getAttribute("#lp-key", "type"), "password");
  // Every form control has a label.
  const unlabeled = await a.$$eval("input, select", (els) => els.filter((e) => e.labels.length === 0).map((e) => e.id));
  assert.deepEqual(unlabeled, []);
  await connectWith(a, KEY);
  await a.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  await a.waitForFunction(() => document.querySelectorAll("#order-rows tr").length === 5);
  const open = (await sim.get("/_sim/orders")).filter((o) => o.status === "open").map((o) => o.id).sort((x, y) => y - x);
  assert.deepEqual(await rowIds(a), open, "init orders, newest first");
  await a.screenshot({ path: `${ART}/dashboard-live.png`, fullPage: true });
});


test("dashboard: an order created on the server appears within a second, highlighted", async () => {
  const t0 = Date.now();
  const o = await sim.order({ currency: "KES", amount_fiat: 4200 });
  await a.waitForSelector(`#order-rows tr[data-id="${o.id}"]`, { timeout: 1000 });
  const took = Date.now() - t0;
  assert.ok(took < 1000, `appeared after ${took} ms`);
  assert.equal((await rowIds(a))[0], o.id, "on top");
  assert.ok(await a.$eval(`tr[data-id="${o.id}"]`, (tr) => tr.classList.contains("fresh")), "highlighted");
  assert.equal(await a.textContent(`tr[data-id="${o.id}"] .new-mark`), "New", "marked new in words, not only in colour");
  const cells = await a.$$eval(`tr[data-id="${o.id}"] td`, (tds) => tds.map((t) => t.textContent));
  assert.equal(cells[2], "KES");
  assert.match(cells[6], /ms|s$/, "delay from created_at shown");
  // Filters: currency and max amount.
  await a.selectOption("#filter-currency", "KES");
  assert.ok((await rowIds(a)).includes(o.id));
  await a.fill("#filter-max", "4000");
  assert.ok(!(await rowIds(a)).includes(o.id), "filtered out above the max");
  await a.fill("#filter-max", "");
  await a.selectOption("#filter-currency", "");
});

test("dashboard: two LPs race for one order: one shows won, the other lost", async () => {
  b = await openPage({ viewport: { width: 1400, height: 900 } });
  await connectWith(b, KEY2);
  await b.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  const o = await sim.order({ currency: "NGN", amount_fiat: 15000 });
  const sel = `tr[data-id="${o.id}"] button.claim`;
  await Promise.all([a.waitForSelector(sel), b.waitForSelector(sel)]);
  // Keyboard claim on one side, click on the other, at the same time.
  await a.focus(sel);
  await Promise.all([a.keyboard.press("Enter"), b.click(sel)]);
  const outcome = (p) => p.waitForFunction((id) => {
    const s = document.querySelector(`tr[data-id="${id}"] .outcome`);
    return s && s.textContent ? s.textContent : null;
  }, o.id).then((h) => h.jsonValue());
  const [oa, ob] = await Promise.all([outcome(a), outcome(b)]);
  assert.deepEqual([oa, ob].sort(), ["Lost to another LP", "Won ✓"], `outcomes ${oa} / ${ob}`);
  const winner = oa.startsWith("Won") ? a : b;
  await winner.screenshot({ path: `${ART}/dashboard-claimed.png`, fullPage: true });
  // The row leaves both tables after showing its outcome, once the pointer and the
  // focus are out of the table (the stable blotter holds it while they are in).
  await b.mouse.move(1, 1);
  await Promise.all([a, b].map((p) => p.waitForSelector(`tr[data-id="${o.id}"]`, { state: "detached", timeout: 5000 })));
  // The winner's claim panel: payee, then fiat sent → completed.
  const card = `.claim-card[data-id="${o.id}"]`;
  await winner.waitForFunction((c) => {
    const dd = document.querySelector(`${c} .payee`);
    return dd && dd.textContent.includes("Account");
  }, card);
  const payee = await winner.textContent(`${card} .payee`);
  const server = (await sim.get(`/_sim/orders/${o.id}`)).payee;
  assert.ok(payee.includes(server.name) && payee.includes(server.account), `payee shown: ${payee}`);
  // Fiat sent asks first (it is irreversible), then walks to completed.
  await winner.click(`${card} button.primary`);
  assert.match(await winner.textContent(`${card} .confirm`), new RegExp(`Did you send .* to ${server.name}`));
  assert.equal(await winner.evaluate(() => document.activeElement.textContent), "Yes, I sent it", "focus on the confirmation");
  await winner.keyboard.press("Enter");
  await winner.waitForFunction((c) => document.querySelector(`${c} .status`).textContent === "Completed", card, { timeout: 8000 });
  await winner.screenshot({ path: `${ART}/dashboard-completed.png`, fullPage: true });
});

test("dashboard: won claims survive a reload: both shown again with payee and state, to pay first", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const p = await ctx.newPage();
  p.on("pageerror", (e) => pageErrors.push(e.message));
  const open = async () => {
    await p.goto(`${web.url}/`);
    await p.waitForSelector("body[data-ready=true]");
    await connectWith(p, KEY);
    await p.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  };
  await open();
  const o1 = await sim.order({ currency: "UGX", amount_fiat: 467840 });
  const o2 = await sim.order({ currency: "KES", amount_fiat: 12500 });
  for (const o of [o1, o2]) {
    await p.click(`tr[data-id="${o.id}"] button.claim`);
    await p.waitForSelector(`.claim-card[data-id="${o.id}"] button.primary:not([disabled])`);
  }
  // o1 is paid (fiat sent) before the reload; o2 is still to pay.
  await sim.post(`/_sim/orders/${o1.id}/status`, { status: "fiat_sent" });
  await p.reload();
  await p.waitForSelector("body[data-ready=true]");
  assert.equal(await p.$$eval(".claim-card", (c) => c.length), 0, "nothing shown before the LP is known");
  await connectWith(p, KEY);
  for (const o of [o1, o2]) {
    await p.waitForFunction((id) => document.querySelector(`.claim-card[data-id="${id}"] .payee`)?.textContent.includes("Account"), o.id);
    const server = (await sim.get(`/_sim/orders/${o.id}`)).payee;
    assert.ok((await p.textContent(`.claim-card[data-id="${o.id}"] .payee`)).includes(server.account));
  }
  const order = await p.$$eval(".claim-card", (cs) => cs.map((c) => [Number(c.dataset.id), c.querySelector(".status").textContent]));
  assert.deepEqual(order[0], [o2.id, "To pay"], "to pay first");
  assert.equal(order.find(([id]) => id === o1.id)?.[1].startsWith("Fiat sent") || order.find(([id]) => id === o1.id)?.[1] === "Completed", true, `o1's state: ${order}`);
  // The key is not in IndexedDB (only origin, LP id and the order's fields).
  const dump = await p.evaluate(() => new Promise((res) => {
    const r = indexedDB.open("rampwire-dashboard");
    r.onsuccess = () => { const g = r.result.transaction("claims").objectStore("claims").getAll(); g.onsuccess = () => res(JSON.stringify(g.result)); };
  }));
  assert.ok(!dump.includes(KEY) && dump.includes(String(o1.id)), dump);
  await p.screenshot({ path: `${ART}/dashboard-claims-reload.png`, fullPage: true });
  await ctx.close();
});

test("dashboard: a dropped connection shows reconnecting, then live, and the table is right", async () => {
  // Focus on a Claim button holds the table (new rows wait behind the bar): move it out.
  await a.focus("#orders-title");
  await sim.post("/_sim/faults", { upgrade_reject_count: 3 });
  const gone = (await sim.get("/_sim/orders")).find((o) => o.status === "open");
  await sim.post("/_sim/drop", { mode: "abort" });
  await a.waitForFunction(() => document.querySelector("#badge").textContent.startsWith("Reconnecting in"));
  await a.screenshot({ path: `${ART}/dashboard-reconnecting.png`, fullPage: true });
  // While offline: another LP claims over HTTP (no broadcast) and a new order arrives.
  const r = await fetch(`${sim.base}/api/orders/${gone.id}/claim`, { method: "POST", headers: { authorization: `Bearer ${KEY2}` } });
  assert.equal(r.status, 200);
  const fresh = await sim.order({ currency: "GHS" });
  await a.waitForFunction(() => document.querySelector("#badge").textContent === "Live", null, { timeout: 15000 });
  await a.waitForSelector(`tr[data-id="${fresh.id}"]`);
  await a.waitForSelector(`tr[data-id="${gone.id}"]`, { state: "detached" });
  const open = (await sim.get("/_sim/orders")).filter((o) => o.status === "open").map((o) => o.id).sort((x, y) => y - x);
  assert.deepEqual(await rowIds(a), open.slice(0, 20), "table equals the server's open orders");
  // The other LP's page (KEY2) was dropped too: live again before the next test counts sockets.
  await b.waitForFunction(() => document.querySelector("#badge").textContent === "Live", null, { timeout: 15000 });
});

test("dashboard: a wrong key shows invalid key and stops retrying", async () => {
  const c = await openPage({ viewport: { width: 1200, height: 800 } });
  const before = (await sim.get("/_sim/requests")).length;
  await connectWith(c, "lp_wrongkey1");
  await c.waitForFunction(() => document.querySelector("#badge").textContent === "Failed: invalid key");
  await c.screenshot({ path: `${ART}/dashboard-failed.png`, fullPage: true });
  await new Promise((r) => setTimeout(r, 1500));
  const upgrades = (await sim.get("/_sim/requests")).slice(before).filter((l) => l.startsWith("GET /ws/orders"));
  assert.equal(upgrades.length, 1, `one attempt, no retries: ${JSON.stringify((await sim.get("/_sim/requests")).slice(before))}`);
  assert.equal(await c.isDisabled("#connect"), false, "the operator can try again");
  // An empty key is said at the field, and the stale "Failed: invalid key" goes.
  await c.fill("#lp-key", "");
  await c.press("#lp-key", "Enter");
  assert.equal(await badge(c), "Not connected");
  assert.equal(await c.isVisible("#key-error"), true);
  assert.equal(await c.getAttribute("#lp-key", "aria-invalid"), "true");
  assert.equal(await c.evaluate(() => document.activeElement.id), "lp-key");
});

test("dashboard: fits a phone-sized screen: claims above the orders, 44 px targets", async () => {
  const p = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await connectWith(p, KEY);
  await p.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  const o = await sim.order({ currency: "KES", amount_fiat: 900 });
  await p.tap(`tr[data-id="${o.id}"] button.claim`);
  await p.waitForSelector(`.claim-card[data-id="${o.id}"] button.primary:not([disabled])`);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling of the page (${overflow}px)`);
  // The table too, with a "New" row in it: every Claim button whole on screen.
  const fresh = await sim.order({ currency: "NGN", amount_fiat: 136800 });
  await p.waitForSelector(`tr[data-id="${fresh.id}"] .new-mark`);
  const cut = await p.evaluate(() => {
    const w = document.querySelector(".table-wrap");
    const right = w.getBoundingClientRect().right;
    return { scroll: w.scrollWidth - w.clientWidth, clipped: [...document.querySelectorAll("#order-rows button.claim:not([hidden])")].filter((b) => b.getBoundingClientRect().right > right + 0.5).length };
  });
  assert.deepEqual(cut, { scroll: 0, clipped: 0 }, "the order table fits a 390 px screen");
  const [claimsTop, ordersTop] = await p.evaluate(() => [".claims", ".orders"].map((s) => document.querySelector(s).getBoundingClientRect().top));
  assert.ok(claimsTop < ordersTop, `the claims queue (${claimsTop}) above the orders (${ordersTop})`);
  const small = await p.$$eval("button, select, input", (els) => els.filter((e) => e.offsetParent !== null).map((e) => [e.id || e.className || e.textContent, e.getBoundingClientRect()]).filter(([, r]) => r.width < 44 || r.height < 44).map(([n, r]) => `${n} ${Math.round(r.width)}x${Math.round(r.height)}`));
  assert.deepEqual(small, [], "every target at least 44 x 44 px");
  await p.screenshot({ path: `${ART}/dashboard-phone.png`, fullPage: true });
});

test("dashboard: after Disconnect the claims stay, Fiat sent is off (no TypeError); a new key does not show them; focus after Connect and Claim", async () => {
  const p = await openPage({ viewport: { width: 1366, height: 800 } });
  await connectWith(p, KEY);
  await p.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  assert.equal(await p.evaluate(() => document.activeElement.id), "orders-title", "focus on the orders after Connect, not <body>");
  const o = await sim.order({ currency: "UGX", amount_fiat: 31000 });
  await p.focus(`tr[data-id="${o.id}"] button.claim`);
  await p.keyboard.press("Enter");
  await p.waitForSelector(`tr[data-id="${o.id}"] .outcome.won`);
  assert.equal(await p.evaluate(() => document.activeElement.className), "outcome won", "focus on the outcome while it shows");
  await p.waitForSelector(`tr[data-id="${o.id}"]`, { state: "detached", timeout: 5000 });
  assert.match(await p.evaluate(() => document.activeElement.className || document.activeElement.id), /^(claim|orders-title)$/, "then on the next Claim, not <body>");
  const fiat = `.claim-card[data-id="${o.id}"] button.primary`;
  await p.waitForSelector(`${fiat}:not([disabled])`);
  await p.click("#disconnect");
  assert.equal(await p.isVisible(`.claim-card[data-id="${o.id}"]`), true, "the claim stays on screen after Disconnect");
  assert.equal(await p.isDisabled(fiat), true, "Fiat sent is off while disconnected");
  await p.$eval(fiat, (b) => b.click());
  const toasts = await p.textContent("#toasts");
  assert.ok(!/Cannot read|TypeError|null/.test(toasts), `no raw error: ${toasts}`);
  // Another key (another LP): the first key's claims are not shown under it.
  await p.fill("#lp-key", KEY2);
  await p.press("#lp-key", "Enter");
  await p.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await p.$(`.claim-card[data-id="${o.id}"]`), null, "not shown under another key");
  // Back to the first key: shown again, with the payee.
  await p.click("#disconnect");
  await p.fill("#lp-key", KEY);
  await p.press("#lp-key", "Enter");
  await p.waitForSelector(`${fiat}:not([disabled])`);
  await p.close();
});

test("dashboard: \"Lost to another LP\" is not clipped at 1366 px; USD with thousands separators", async () => {
  const p = await openPage({ viewport: { width: 1366, height: 800 } });
  await connectWith(p, KEY2);
  await p.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  const o = await sim.order({ currency: "NGN", amount_fiat: 1368000, amount_usd: 12345.5 });
  await p.waitForSelector(`tr[data-id="${o.id}"]`);
  assert.equal((await p.$$eval(`tr[data-id="${o.id}"] td`, (t) => t.map((x) => x.textContent)))[3], "$12,345.50");
  // Another LP takes it over HTTP (not broadcast): this page's click loses.
  const r = await fetch(`${sim.base}/api/orders/${o.id}/claim`, { method: "POST", headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(r.status, 200);
  await p.click(`tr[data-id="${o.id}"] button.claim`);
  await p.waitForSelector(`tr[data-id="${o.id}"] .outcome.lost`);
  const fit = await p.evaluate((id) => {
    const wrap = document.querySelector(".table-wrap");
    const out = document.querySelector(`tr[data-id="${id}"] .outcome`).getBoundingClientRect();
    const box = wrap.getBoundingClientRect();
    return { scroll: wrap.scrollWidth - wrap.clientWidth, right: out.right - box.right, text: document.querySelector(`tr[data-id="${id}"] .outcome`).textContent };
  }, o.id);
  assert.equal(fit.text, "Lost to another LP");
  assert.ok(fit.scroll <= 0 && fit.right <= 0, `fits: ${JSON.stringify(fit)}`);
  await p.screenshot({ path: `${ART}/dashboard-lost-1366.png` });
  await p.close();
});

/** WCAG contrast of two CSS colours (rgb()/rgba() strings). */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => Number(v) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

for (const scheme of ["light", "dark"]) {
  test(`dashboard: ${scheme} theme: focus ring and input borders at least 3:1, text at least 4.5:1`, async () => {
    const p = await openPage({ viewport: { width: 1366, height: 800 }, colorScheme: scheme });
    await p.focus("#api-url");
    await p.keyboard.press("Tab");
    const c = await p.evaluate(() => {
      const cs = (e) => getComputedStyle(e);
      const key = document.querySelector("#lp-key");
      const card = cs(key.closest(".card")).backgroundColor;
      return { card, border: cs(key).borderTopColor, ring: cs(document.activeElement).outlineColor, focused: document.activeElement.id, ink: cs(document.body).color, muted: cs(document.querySelector(".muted")).color, bg: cs(document.documentElement).backgroundColor };
    });
    assert.equal(c.focused, "lp-key");
    assert.ok(contrast(c.border, c.card) >= 3, `input border ${c.border} on ${c.card}: ${contrast(c.border, c.card).toFixed(2)}:1`);
    assert.ok(contrast(c.ring, c.card) >= 3, `focus ring ${c.ring} on ${c.card}: ${contrast(c.ring, c.card).toFixed(2)}:1`);
    assert.ok(contrast(c.ink, c.card) >= 4.5 && contrast(c.muted, c.card) >= 4.5, "text");
    const dark = contrast(c.bg, "rgb(0,0,0)") < contrast(c.bg, "rgb(255,255,255)");
    assert.equal(dark, scheme === "dark", `background ${c.bg} follows prefers-color-scheme: ${scheme}`);
    await p.close();
  });
}

test("dashboard: the key is in no URL, no console line, no storage but the opted-in one", async () => {
  for (const line of await sim.get("/_sim/requests")) {
    assert.ok(!line.includes(KEY) && !line.includes(KEY2) && !line.includes("lp_wrongkey1"), line);
  }
  for (const { text } of consoleLines) {
    assert.ok(!text.includes(KEY) && !text.includes(KEY2), `console: ${text}`);
  }
  // Chromium itself reports the handshakes refused on purpose (fault injection) and the
  // lost race's 409; the page logs nothing.
  const expected = [
    /^WebSocket connection to '[^']+' failed: Error during WebSocket handshake: Unexpected response code: 503$/,
    /^Failed to load resource: the server responded with a status of 409 \(Conflict\)$/,
  ];
  const errors = consoleLines.filter((l) => l.type === "error" && !expected.some((re) => re.test(l.text)));
  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(pageErrors, [], "no uncaught page errors");
  // localStorage holds the view's settings (filters, sort, alerts) and the ids of orders
  // found taken (www/stale.js) only, never the key.
  const local = await a.evaluate(() => Object.entries(localStorage));
  assert.deepEqual(local.map(([k]) => k).filter((k) => !k.startsWith("rampwire-dashboard/taken/")), ["rampwire.dashboard.prefs"]);
  for (const [k, v] of local) assert.ok(!v.includes(KEY) && !v.includes(KEY2) && !k.includes(KEY), v);
  assert.equal(await a.evaluate(() => sessionStorage.length), 0, "not remembered unless ticked");
  // Ticking "remember" keeps it in sessionStorage for this tab only.
  const p = await openPage();
  await p.check("#remember");
  await connectWith(p, KEY);
  // Bound to the API origin it was entered for.
  const stored = JSON.parse(await p.evaluate(() => sessionStorage.getItem("rampwire.lpKey")));
  assert.deepEqual(stored, { origin: new URL(sim.base).origin, key: KEY });
  assert.ok(!(await p.evaluate(() => JSON.stringify(localStorage))).includes(KEY), "never in localStorage");
  // A reload on the same API offers it again...
  await p.goto(`${web.url}/`);
  await p.waitForSelector("body[data-ready=true]");
  assert.equal(await p.inputValue("#lp-key"), KEY);
  // ...but a crafted link to another API origin starts with an empty key field and says so.
  await p.goto(`${web.url}/?api=${encodeURIComponent("https://elsewhere.example")}`);
  await p.waitForSelector("body[data-ready=true]");
  assert.equal(await p.inputValue("#lp-key"), "", "never offered to another origin");
  assert.match(await p.textContent("#demo-hint"), /remembered for .*not for this API/);
  // Editing the API field away from the key's origin clears a remembered key too.
  await p.goto(`${web.url}/`);
  await p.waitForSelector("body[data-ready=true]");
  assert.equal(await p.inputValue("#lp-key"), KEY);
  await p.fill("#api-url", "https://elsewhere.example");
  assert.equal(await p.inputValue("#lp-key"), "");
  await p.close();
});
