// The dashboard's alerts and hotkeys (issue 19, points 6 and the hotkeys of "What to
// build"): the count in the title while the tab is hidden, a desktop Notification, "n new
// since you left" on return, the opt-in announcement; hotkeys announced with
// aria-keyshortcuts, focus after each action, Fiat sent confirmed and disabled until the
// payee is known (its look-up retried). Headless Chromium against rampwire-sim.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { KEY } from "./sim.mjs";
import { startDashboard, stopDashboard } from "./dashboard-harness.mjs";

let sim, web, browser;
const pageErrors = [];

before(async () => ({ sim, web, browser } = await startDashboard(["--seed", "9", "--complete-after-ms", "400"])));
after(() => stopDashboard({ sim, web, browser }));

/**
 * Headless Chromium keeps every page "visible": the page's view of visibility is switched
 * by the test (`__setHidden`); Notification calls (`__notes`) and sounds (`__beeps`) are recorded.
 */
function instrument() {
  let hidden = false;
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  window.__setHidden = (h) => {
    hidden = h;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  window.__beeps = 0;
  const osc = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__beeps++;
    return osc.call(this);
  };
  window.__notes = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      window.__notes.push({ title, body: options?.body, tag: options?.tag });
      super(title, options);
    }
  };
}

async function open(extra = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 }, ...extra });
  await ctx.addInitScript(instrument);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${web.url}/`);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

async function connect(page) {
  await page.fill("#lp-key", KEY);
  await page.press("#lp-key", "Enter");
  await page.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  await page.mouse.move(1, 1);
}

test("alerts: hidden tab: matching orders counted in the title, notified and sounded; on return \"n new since you left\"", async () => {
  const page = await open({ permissions: ["notifications"] });
  await page.check("#alert-sound");
  await page.check("#alert-notify");
  assert.equal(await page.isChecked("#alert-notify"), true, "permission granted: stays on");
  await connect(page);
  // The operator's rule: KES up to 10,000.
  await sim.order({ currency: "KES", amount_fiat: 100 });
  await page.waitForFunction(() => [...document.querySelectorAll("#filter-currency option")].some((o) => o.value === "KES"));
  await page.selectOption("#filter-currency", "KES");
  await page.fill("#filter-max", "10000");
  await page.focus("#orders-title");
  const title = await page.title();
  const beeps = await page.evaluate(() => window.__beeps);
  await page.evaluate(() => window.__setHidden(true));
  const a = await sim.order({ currency: "KES", amount_fiat: 4200 });
  await sim.order({ currency: "NGN", amount_fiat: 5000 }); // not a match: another currency
  await sim.order({ currency: "KES", amount_fiat: 25000 }); // not a match: above the limit
  const b = await sim.order({ currency: "KES", amount_fiat: 9000 });
  await page.waitForFunction((t) => document.title === `(2) ${t}`, title, { timeout: 3000 });
  assert.equal(await page.evaluate(() => window.__beeps) - beeps, 2, "a sound per matching order");
  const notes = await page.evaluate(() => window.__notes);
  assert.ok(notes.length >= 1, "a desktop notification");
  assert.ok(notes.every((n) => n.tag === "rampwire-new-orders"), "one replaced notification, not one per order");
  assert.match(notes.at(-1).body, new RegExp(`#${b.id}`), JSON.stringify(notes));
  assert.ok(!JSON.stringify(notes).includes("NGN") && !JSON.stringify(notes).includes("25,000"), "only matching orders");
  // Back: the title is plain again and the banner says what came meanwhile.
  await page.evaluate(() => window.__setHidden(false));
  assert.equal(await page.title(), title);
  assert.equal(await page.isVisible("#away-banner"), true);
  assert.equal(await page.textContent("#away-text"), "2 new since you left");
  await page.click("#away-show");
  assert.equal(await page.isVisible("#away-banner"), false);
  for (const o of [a, b]) assert.ok(await page.$(`tr[data-id="${o.id}"]`), `#${o.id} shown`);
  await page.context().close();
});

test("alerts: new matching orders announced through an opt-in aria-live region", async () => {
  const page = await open();
  assert.equal(await page.getAttribute("#announcer", "aria-live"), "off", "off unless asked");
  await page.check("#alert-announce");
  assert.equal(await page.getAttribute("#announcer", "aria-live"), "polite");
  await connect(page);
  const o = await sim.order({ currency: "GHS", amount_fiat: 1240 });
  await page.waitForFunction((id) => document.querySelector("#announcer").textContent.includes(`#${id}`), o.id, { timeout: 4000 });
  assert.match(await page.textContent("#announcer"), /^New order: 1,240 GHS/);
  await page.context().close();
});

test("hotkeys: C claims the top match, A copies the account, F asks to confirm Fiat sent, P pauses; aria-keyshortcuts; focus after each", async () => {
  const page = await open({ permissions: ["clipboard-read", "clipboard-write"] });
  // No re-check look-ups in this test: the REST faults below are for the payee look-ups.
  await page.fill("#stale-after", "3600");
  await connect(page);
  for (const [id, key] of [["claim-top", "C"], ["pause", "P"], ["fiat-top", "F"], ["copy-top", "A"], ["news-bar", "N"]]) {
    assert.equal(await page.getAttribute(`#${id}`, "aria-keyshortcuts"), key);
  }
  const o = await sim.order({ currency: "KES", amount_fiat: 3100 });
  await page.waitForSelector(`tr[data-id="${o.id}"]`);
  await page.focus("#orders-title");
  await page.keyboard.press("c");
  await page.waitForSelector(`tr[data-id="${o.id}"] .outcome.won`);
  assert.equal(await page.evaluate(() => document.activeElement.className), "outcome won", "focus on the outcome");
  const card = `.claim-card[data-id="${o.id}"]`;
  await page.waitForSelector(`${card} button.primary:not([disabled])`);
  // The payee look-up fails after a reload: Fiat sent stays disabled while it is retried.
  await sim.post("/_sim/faults", { rest_fail_count: 2, rest_fail_status: 503 });
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await connect(page);
  await page.waitForFunction((c) => /retrying/.test(document.querySelector(`${c} .payee`)?.textContent ?? ""), card);
  assert.equal(await page.isDisabled(`${card} button.primary`), true, "Fiat sent disabled until the payee is known");
  await page.focus("#orders-title");
  await page.keyboard.press("f");
  assert.equal(await page.isVisible(`${card} .confirm`), false, "no confirmation without a payee");
  await page.waitForSelector(`${card} button.primary:not([disabled])`, { timeout: 8000 });
  const server = (await sim.get(`/_sim/orders/${o.id}`)).payee;
  // A: the account to the clipboard, focus on its Copy button.
  await page.focus("#orders-title");
  await page.keyboard.press("a");
  await page.waitForFunction(() => document.activeElement?.textContent === "Copied");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), server.account);
  assert.match(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), /^Copy account/);
  // F: the confirmation names the payee; focus on "Yes"; Enter marks it.
  await page.focus("#orders-title");
  await page.keyboard.press("f");
  assert.match(await page.textContent(`${card} .confirm`), new RegExp(`to ${server.name}`));
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Yes, I sent it");
  await page.keyboard.press("Enter");
  await page.waitForFunction((c) => /Fiat sent|Completed/.test(document.querySelector(`${c} .status`).textContent), card);
  assert.equal(await page.evaluate(() => document.activeElement.textContent), `#${o.id}`, "focus on the claim's heading");
  // P: paused (aria-pressed), new rows wait; P again lets them in.
  await page.keyboard.press("p");
  assert.equal(await page.getAttribute("#pause", "aria-pressed"), "true");
  assert.equal(await page.evaluate(() => document.activeElement.id), "pause");
  const later = await sim.order({ currency: "KES", amount_fiat: 3300 });
  await page.waitForFunction(() => document.querySelector("#news-bar").textContent.startsWith("1 new"));
  assert.equal(await page.$(`tr[data-id="${later.id}"]`), null, "waits while paused");
  await page.keyboard.press("p");
  assert.equal(await page.getAttribute("#pause", "aria-pressed"), "false");
  await page.waitForSelector(`tr[data-id="${later.id}"]`);
  // Keys typed into a field are the field's.
  await page.focus("#filter-max");
  await page.keyboard.press("c");
  assert.equal(await page.getAttribute(`tr[data-id="${later.id}"]`, "data-state"), "open");
  await page.context().close();
});

test("alerts: no page errors", () => {
  assert.deepEqual(pageErrors, []);
});
