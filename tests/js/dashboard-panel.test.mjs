// The dashboard's connection panel (issue 19, point 4): time since the last message,
// ping RTT, claim RTT, sockets in use of 5, "Reconnect now"; folded once live; "Live" is
// not shown on a socket gone silent: the warning comes before the client's pong timeout.
// Headless Chromium against rampwire-sim, heartbeat shortened through config.json.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { mkdirSync } from "node:fs";
import { ROOT, KEY, until } from "./sim.mjs";
import { startDashboard, stopDashboard } from "./dashboard-harness.mjs";

const ART = path.join(ROOT, "tests/artifacts");
mkdirSync(ART, { recursive: true });
const HEARTBEAT_MS = 1500;
const PONG_TIMEOUT_MS = 4000;

let sim, web, browser;
const pageErrors = [];

before(async () => ({ sim, web, browser } = await startDashboard(["--seed", "4"], { clientOptions: { heartbeatMs: HEARTBEAT_MS, pongTimeoutMs: PONG_TIMEOUT_MS } })));
after(() => stopDashboard({ sim, web, browser }));

test("panel: live: folded, last message ticking, ping and claim RTT, 1 of 5 sockets; a silent socket warns before the pong timeout; Reconnect now", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${web.url}/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#lp-key", KEY);
  await page.press("#lp-key", "Enter");
  await page.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  assert.equal(await page.evaluate(() => document.querySelector("#link-panel").open), false, "folded once live");
  // A pong has come back: its RTT is shown, and the socket count.
  await page.waitForFunction(() => /ms$/.test(document.querySelector("#link-ping").textContent), null, { timeout: 4000 });
  assert.match(await page.textContent("#link-summary"), /^Connection: Live · last message \d+ s ago · ping \d+ ms$/);
  assert.match(await page.textContent("#link-sockets"), /^1 of 5/);
  const o = await sim.order({ currency: "KES", amount_fiat: 1500 });
  await page.click(`tr[data-id="${o.id}"] button.claim`);
  await page.waitForSelector(`tr[data-id="${o.id}"] .outcome.won`);
  assert.match(await page.textContent("#link-claim"), /^\d+ ms$/, "claim RTT");
  // The socket goes silent (half-open): no frames, no pongs.
  await page.evaluate(() => {
    window.__seen = [];
    const note = () => window.__seen.push([Date.now(), document.querySelector("#badge").textContent, !document.querySelector("#link-warn").hidden]);
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["hidden"] });
  });
  const t0 = Date.now();
  await sim.post("/_sim/faults", { silence: true });
  await page.waitForSelector("#link-warn", { state: "visible", timeout: HEARTBEAT_MS + PONG_TIMEOUT_MS + 2000 });
  const warnedAfter = Date.now() - t0;
  const seen = await page.evaluate(() => window.__seen);
  const firstWarn = seen.find(([, , w]) => w);
  const firstReconnect = seen.find(([, b]) => b.startsWith("Reconnecting"));
  assert.ok(!firstReconnect || firstReconnect[0] > firstWarn[0], `the warning came before the client gave the socket up: ${JSON.stringify(seen.slice(-5))}`);
  assert.ok(warnedAfter < HEARTBEAT_MS + PONG_TIMEOUT_MS, `warned after ${warnedAfter} ms`);
  assert.match(firstWarn[1], /^No message for \d+ s$/, "the badge no longer says Live");
  assert.equal(await page.evaluate(() => document.querySelector("#link-panel").classList.contains("warn")), true);
  const last1 = await page.textContent("#link-last");
  await page.screenshot({ path: `${ART}/dashboard-silent.png` });
  await new Promise((r) => setTimeout(r, 1100));
  assert.notEqual(await page.textContent("#link-last"), last1, "the time since the last message ticks");
  // The client's pong timeout then declares it dead and reconnects; the panel opens.
  await page.waitForFunction(() => /^Reconnecting|^Connecting|^Authenticating/.test(document.querySelector("#badge").textContent), null, { timeout: PONG_TIMEOUT_MS + 3000 });
  assert.equal(await page.evaluate(() => document.querySelector("#link-panel").open), true, "open while not live");
  await sim.post("/_sim/faults", {});
  await page.waitForFunction(() => document.querySelector("#badge").textContent === "Live", null, { timeout: 20000 });
  assert.equal(await page.isHidden("#link-warn"), true);
  // Reconnect now: a fresh socket at once.
  const upgrades = async () => (await sim.get("/_sim/requests")).filter((l) => l.startsWith("GET /ws/orders")).length;
  const before = await upgrades();
  await page.click("#link-summary");
  await page.click("#reconnect");
  await page.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  assert.equal(await upgrades(), before + 1, "one new socket");
  const conns = await sim.get("/_sim/connections");
  assert.equal(conns.by_lp["12"], 1, "the old one closed");
  await ctx.close();
});

test("panel: five sockets of the key held elsewhere: the panel says so (5 of 5, held elsewhere); Reconnect now skips the 30 s wait once they are free", async () => {
  // Five sockets of the key from elsewhere (another browser, a bot), authenticated.
  const ws = sim.base.replace(/^http/, "ws") + "/ws/orders";
  const others = await Promise.all(Array.from({ length: 5 }, () => new Promise((resolve, reject) => {
    const s = new WebSocket(ws);
    s.onopen = () => s.send(JSON.stringify({ type: "auth", lp_key: KEY }));
    s.onmessage = (e) => { if (JSON.parse(e.data).type === "init") resolve(s); };
    s.onerror = reject;
  })));
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  try {
    await page.goto(`${web.url}/`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#lp-key", KEY);
    await page.press("#lp-key", "Enter");
    await page.waitForFunction(() => /too many connections/.test(document.querySelector("#badge").textContent), null, { timeout: 8000 });
    assert.equal(await page.evaluate(() => document.querySelector("#link-panel").open), true, "open while not live");
    assert.match(await page.textContent("#link-sockets"), /^5 of 5, held elsewhere/);
    assert.match(await page.textContent("#badge"), /^Reconnecting in (2\d|30) s/, "the client waits out its backoff cap");
    for (const s of others) s.close();
    await until(async () => (await sim.get("/_sim/connections")).by_lp["12"] === undefined, 3000, "the other sockets closed");
    const t0 = Date.now();
    await page.click("#reconnect");
    await page.waitForFunction(() => document.querySelector("#badge").textContent === "Live", null, { timeout: 5000 });
    assert.ok(Date.now() - t0 < 5000, "live at once, not after the 30 s wait");
    assert.match(await page.textContent("#link-sockets"), /^(0|1) of 5/);
    await page.waitForFunction(() => /^1 of 5/.test(document.querySelector("#link-sockets").textContent));
  } finally {
    for (const s of others) s.close();
    await ctx.close();
  }
});

test("panel: no page errors", () => {
  assert.deepEqual(pageErrors, []);
});
