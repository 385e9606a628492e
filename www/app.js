// The operator dashboard: watches orders through LpClient, claims over HTTP, and walks
// each won order through payee → fiat sent → completed. Plain ES module, no build step.
// It uses `rampwire-lp/shared`: every tab of the browser shares one socket per key (the
// provider caps 5), one book, and one claim per order.
// The key lives in memory (or sessionStorage when the operator asks); it is never logged,
// never put in a URL, never in localStorage.

import init, { LpClient } from "./pkg/shared.js";
import { saveClaim, loadClaims, onClaimChange } from "./claims-store.js";
import { money, el } from "./format.js";
import { loadPrefs, savePrefs } from "./prefs.js";
import { createBlotter } from "./blotter.js";
import { startStaleChecks } from "./stale.js";
import { createPanel } from "./panel.js";
import { createAlerts } from "./alerts.js";
import { startHotkeys } from "./hotkeys.js";
import { mountAutoClaim } from "./autoclaim.js";
import { mountHistory, recordClaim, recordStatus } from "./history.js";

const $ = (id) => document.getElementById(id);
const KEY_SLOT = "rampwire.lpKey";
/** The API origin the key field's value was remembered for (null: typed in by the operator). */
let keyFromMemory = null;
const DEFAULT_API = "https://api.rampwire.app";
/** Client timings a deployment's config.json may set (the tests shorten the heartbeat). */
const TUNABLE = ["heartbeatMs", "pongTimeoutMs", "backoffInitialMs", "backoffMaxMs"];
let tuning = {};

const ui = {
  form: $("connect-form"), api: $("api-url"), key: $("lp-key"), currencies: $("currencies"),
  remember: $("remember"), connect: $("connect"), disconnect: $("disconnect"), hint: $("demo-hint"),
  badge: $("badge"), rows: $("order-rows"), empty: $("orders-empty"), count: $("order-count"),
  filterCurrency: $("filter-currency"), filterMax: $("filter-max"),
  claims: $("claim-list"), claimsEmpty: $("claims-empty"), toasts: $("toasts"),
  keyError: $("key-error"), ordersTitle: $("orders-title"),
  staleAfter: $("stale-after"), claimTop: $("claim-top"), pause: $("pause"), fiatTop: $("fiat-top"), copyTop: $("copy-top"),
};

let client = null;
let offs = [];
/** id → the claim card's parts (see showClaim) */
const claims = new Map();
let countdown = null;

// ---- toasts and badge ------------------------------------------------------------

function toast(message, kind = "error") {
  const t = el("div", { class: `toast toast-${kind}`, text: message });
  ui.toasts.append(t);
  setTimeout(() => t.remove(), 6000);
  while (ui.toasts.children.length > 5) ui.toasts.firstChild.remove();
}

function reasonText(reason) {
  if (!reason) return "";
  switch (reason.kind) {
    case "unauthorized": return "invalid key";
    case "rate_limited": return "too many connections";
    case "timeout": return "no answer (timeout)";
    case "network": return "network";
    default: return reason.kind;
  }
}

function setBadge(state, text) {
  ui.badge.className = `badge badge-${state}`;
  // The badge is a live region: rewriting the same words would announce them again.
  if (ui.badge.textContent !== text) ui.badge.textContent = text;
}

function onState(s) {
  panel.onState(s);
  clearInterval(countdown);
  countdown = null;
  const why = reasonText(s.reason);
  switch (s.state) {
    case "live": setBadge("live", "Live"); break;
    case "connecting": setBadge("pending", "Connecting…"); break;
    case "authenticating": setBadge("pending", "Authenticating…"); break;
    case "reconnecting": {
      const until = Date.now() + (s.retryInMs ?? 0);
      const tick = () => {
        const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
        setBadge("reconnecting", `Reconnecting in ${left} s${why ? ` (${why})` : ""}`);
      };
      tick();
      countdown = setInterval(tick, 250);
      break;
    }
    case "failed":
      setBadge("failed", `Failed: ${why || "stopped"}`);
      setConnected(false);
      break;
    case "closed": setBadge("idle", "Disconnected"); break;
    default: setBadge("idle", "Not connected");
  }
}

// ---- the order table (blotter.js), stale re-checks, the connection panel, alerts ---------

const prefs = loadPrefs();
let blotter = null;
let stale = null;
let panel = null;
let alerts = null;
let paused = false;

/** Marks, for the alerts, the new orders that match the operator's rules. */
function newOrders(orders) {
  alerts?.matched(orders.filter((o) => blotter.passes(o)));
}

function addOrder(o, fresh) {
  blotter.add(o, fresh);
  if (fresh) newOrders([o]);
}

function removeOrder(id) {
  blotter.remove(id, "Taken");
}

function resetTable(orders) {
  blotter.reset(orders);
}

function showOutcome(id, text, cls) {
  blotter.outcome(id, text, cls);
}

/** Pause: the table holds still (new rows wait) and alerts stop; other modules may listen. */
function setPaused(on) {
  paused = on;
  ui.pause.setAttribute("aria-pressed", String(on));
  ui.pause.firstChild.textContent = on ? "Resume " : "Pause ";
  blotter.setPaused(on);
  alerts.setPaused(on);
  document.dispatchEvent(new CustomEvent("rampwire:pause", { detail: { paused: on } }));
}

/** Claims the first open row the filter shows (hotkey C); focus follows to its outcome. */
function claimTop() {
  const r = blotter.topMatch();
  if (!r) return toast("No open order matches the filter.", "info");
  r.btn.focus();
  claim(r.order.id);
}

/** The first claim still to pay, with its payee known. */
function topToPay() {
  return [...claims.values()].find((c) => c.rec.status === "claimed") ?? null;
}

// ---- claims --------------------------------------------------------------------------

async function claim(id) {
  const r = blotter.row(id);
  if (!client || !r || r.state !== "open") return;
  // aria-disabled, not disabled: a disabled button drops the keyboard focus to <body>.
  // The client drops the order from its book as the answer lands: the row stays for the outcome.
  blotter.pending(id, true);
  const t0 = performance.now();
  try {
    const res = await client.claim(id);
    panel.claimRtt(performance.now() - t0);
    claimSettled(id, res);
  } catch (e) {
    blotter.pending(id, false);
    toast(`Claim of #${id} failed: ${e.message}`);
  }
}

/** A claim's outcome, from this tab's click or another tab's (same LP). */
function claimSettled(id, res) {
  const r = blotter.row(id);
  if (res.status === "claimed") {
    if (r) showOutcome(id, "Won ✓", "won");
    addClaim(id, res.order ?? r?.order);
  } else if (r && r.state === "pending") {
    showOutcome(id, "Lost to another LP", "lost");
  } else if (r) {
    removeOrder(id);
  }
}

// ---- the claims queue: won orders, kept in IndexedDB per LP, "to pay" first --------------

const STATUS_TEXT = { claimed: "To pay", fiat_sent: "Fiat sent, awaiting completion", completed: "Completed", expired: "Expired", cancelled: "Cancelled" };
const RANK = { claimed: 0, fiat_sent: 1, completed: 2 };
/** Payee look-up retries: 1 s, 2 s, 4 s… up to 30 s apart, at most 8 tries before a Retry button. */
const PAYEE_TRIES = 8;

/** `{ origin, lp }` of the LP whose claims are shown (from the server's init / claim answer). */
let owner = null;
/** The key the shown claims were won with, compared in memory only (a new key clears them). */
let ownerKey = null;

/** The LP the connected client belongs to, once known; loads its saved claims the first time. */
async function adoptOwner(lp) {
  if (lp == null || !client) return;
  const origin = originOf(ui.api.value);
  if (owner?.lp === lp && owner.origin === origin) {
    // The same LP again (after a Disconnect or a drop): the cards work with this client.
    for (const c of claims.values()) if (c.client !== client) { c.client = client; loadPayee(c, 0); }
    return;
  }
  clearClaims();
  const mine = client;
  owner = { origin, lp };
  let saved = [];
  try {
    saved = await loadClaims(owner.origin, lp);
  } catch (e) {
    toast(`Saved claims could not be read: ${e.message}`);
  }
  if (client !== mine) return;
  for (const rec of saved) showClaim(rec);
}

function addClaim(id, order) {
  if (!order || claims.has(id)) return;
  const lp = order.lp_id ?? client?.lpId;
  if (owner === null && lp != null) owner = { origin: originOf(ui.api.value), lp };
  const rec = { origin: owner?.origin, lp: owner?.lp, id, amount_fiat: order.amount_fiat, currency: order.currency, amount_usd: order.amount_usd, status: "claimed", claimedAt: Date.now() };
  persist(rec);
  showClaim(rec);
}

function persist(rec) {
  if (rec.origin == null || rec.lp == null) return;
  saveClaim(rec).catch((e) => toast(`Claim #${rec.id} could not be saved: ${e.message}`));
}

function copyButton(label, value) {
  const b = el("button", { type: "button", class: "copy", text: "Copy", "aria-label": `Copy ${label}` });
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      b.textContent = "Copied";
      setTimeout(() => (b.textContent = "Copy"), 1500);
    } catch {
      toast(`Copy failed: select the ${label} and copy it by hand.`);
    }
  });
  return b;
}

function showClaim(rec) {
  if (claims.has(rec.id)) return;
  const id = rec.id;
  const status = el("span", { class: "status" });
  const head = el("strong", { text: `#${id}`, tabindex: "-1" });
  const payee = el("dl", { class: "payee" }, el("dt", { text: "Payee" }), el("dd", { text: "loading…" }));
  const sent = el("button", { type: "button", class: "primary", text: "Fiat sent", "aria-label": `Mark fiat sent for order ${id}`, disabled: "" });
  const confirmBox = el("div", { class: "confirm", hidden: "", role: "group", "aria-label": `Confirm fiat sent for order ${id}` });
  const li = el("li", { class: "claim-card", "data-id": String(id) },
    el("div", { class: "claim-head" }, head, el("span", { text: `${money(rec.amount_fiat)} ${rec.currency}` }), status),
    payee,
    el("div", { class: "actions" }, sent),
    confirmBox);
  const c = { rec, li, status, head, payee, sent, confirmBox, order: null, client };
  claims.set(id, c);
  ui.claimsEmpty.hidden = true;
  setClaimStatus(c, rec.status);
  sent.addEventListener("click", () => askFiatSent(c));
  loadPayee(c, 0);
}

/** Another tab changed a claim's state (fiat sent, completed): show it here too. */
onClaimChange((m) => {
  const c = claims.get(m.id);
  if (c && owner && m.origin === owner.origin && m.lp === owner.lp && c.rec.status !== m.status) {
    c.rec.status = m.status;
    setClaimStatus(c, m.status);
  }
});

function setClaimStatus(c, st) {
  c.status.textContent = STATUS_TEXT[st] ?? st;
  c.status.className = `status status-${st}`;
  c.li.dataset.status = st;
  c.sent.hidden = st !== "claimed";
  c.confirmBox.hidden ||= st !== "claimed";
  if (c.rec.status !== st) {
    c.rec.status = st;
    persist(c.rec);
    recordStatus(c.rec, st).catch(() => {});
  }
  sortClaims();
}

/** "To pay" first, then awaiting completion, then finished; newest first within each. */
function sortClaims() {
  const list = [...claims.values()].sort((a, b) => (RANK[a.rec.status] ?? 3) - (RANK[b.rec.status] ?? 3) || b.rec.claimedAt - a.rec.claimedAt);
  list.forEach((c, i) => {
    if (ui.claims.children[i] !== c.li) ui.claims.insertBefore(c.li, ui.claims.children[i] ?? null);
  });
}

async function loadPayee(c, tries) {
  const id = c.rec.id;
  if (client !== c.client || !client) return;
  try {
    const o = await client.getOrder(id);
    if (claims.get(id) !== c) return;
    c.order = o;
    c.payee.replaceChildren();
    const p = o.payee ?? {};
    const send = `${money(o.amount_fiat)} ${o.currency}`;
    for (const [k, v, copy] of [["Name", p.name, true], ["Account", p.account, true], ["Rail", p.rail], ["Send", send, true], ["Receive at", o.lp_receive_address, true]]) {
      if (!v) continue;
      c.payee.append(el("dt", { text: k }), el("dd", {}, el("span", { text: String(v) }), ...(copy ? [copyButton(`${k.toLowerCase()} of order ${id}`, String(v))] : [])));
    }
    // Paying someone needs their details: Fiat sent stays disabled until they are known.
    if (p.account) c.sent.removeAttribute("disabled");
    setClaimStatus(c, o.status);
    if (o.status === "fiat_sent") awaitCompletion(c);
  } catch (e) {
    if (claims.get(id) !== c) return;
    if (tries + 1 >= PAYEE_TRIES) {
      const retry = el("button", { type: "button", text: "Retry", "aria-label": `Retry loading the payee of order ${id}` });
      retry.addEventListener("click", () => { c.payee.replaceChildren(el("dt", { text: "Payee" }), el("dd", { text: "loading…" })); loadPayee(c, 0); });
      c.payee.replaceChildren(el("dt", { text: "Payee" }), el("dd", { text: `unavailable (${e.message})` }, retry));
      return;
    }
    const wait = Math.min(30000, 1000 * 2 ** tries);
    c.payee.replaceChildren(el("dt", { text: "Payee" }), el("dd", { text: `unavailable, retrying in ${Math.round(wait / 1000)} s` }));
    setTimeout(() => loadPayee(c, tries + 1), wait);
  }
}

/** Fiat sent is irreversible: ask first, naming what was paid to whom. */
function askFiatSent(c) {
  if (!client || client !== c.client || !c.order) return toast("Connect first: the claim's payee must be known before marking fiat sent.");
  const p = c.order.payee ?? {};
  const yes = el("button", { type: "button", class: "primary", text: "Yes, I sent it" });
  const no = el("button", { type: "button", text: "Cancel" });
  c.confirmBox.replaceChildren(
    el("p", { text: `Did you send ${money(c.order.amount_fiat)} ${c.order.currency} to ${p.name ?? "the payee"} (${p.account ?? "?"})? This cannot be undone.` }),
    el("div", { class: "actions" }, yes, no));
  c.confirmBox.hidden = false;
  c.sent.disabled = true;
  yes.focus();
  no.addEventListener("click", () => { c.confirmBox.hidden = true; c.sent.disabled = false; c.sent.focus(); });
  yes.addEventListener("click", () => { c.confirmBox.hidden = true; fiatSent(c); });
}

async function fiatSent(c) {
  const id = c.rec.id;
  if (!client || client !== c.client) return toast("Not connected: connect again to mark fiat sent.");
  c.sent.disabled = true;
  c.sent.textContent = "Marking…";
  c.head.focus();
  try {
    const o = await client.fiatSent(id);
    setClaimStatus(c, o.status);
    awaitCompletion(c);
  } catch (e) {
    c.sent.disabled = false;
    c.sent.textContent = "Fiat sent";
    toast(`Fiat-sent of #${id} failed: ${e.message}`);
  }
}

async function awaitCompletion(c) {
  if (c.waiting || !client) return;
  c.waiting = true;
  try {
    const done = await client.waitForStatus(c.rec.id, "completed", { intervalMs: 1000, timeoutMs: 600000 });
    if (claims.get(c.rec.id) === c) setClaimStatus(c, done.status);
  } catch { /* disconnected or still waiting: the next connect asks again */ } finally {
    c.waiting = false;
  }
}

/** The claims shown belong to one LP: another key or LP clears them (they stay saved). */
function clearClaims() {
  claims.clear();
  owner = null;
  ownerKey = null;
  ui.claims.replaceChildren();
  ui.claimsEmpty.hidden = false;
}

// ---- connecting ------------------------------------------------------------------------

function setConnected(on) {
  document.body.toggleAttribute("data-connected", on);
  ui.connect.disabled = on;
  ui.disconnect.disabled = !on;
  for (const i of [ui.api, ui.key, ui.currencies]) i.disabled = on;
}

function disconnect() {
  for (const off of offs) off();
  offs = [];
  if (client) {
    client.close();
    client.free();
    client = null;
  }
  panel.attach(null);
  stale.setScope(null);
  // The claims stay on screen (the operator may still have to pay them), their actions
  // off until a client of the same LP is connected again.
  for (const c of claims.values()) { c.client = null; c.sent.disabled = true; }
  autoClaim.detach();
  setConnected(false);
}

async function connect(ev) {
  ev.preventDefault();
  disconnect();
  const key = ui.key.value.trim();
  const origin = originOf(ui.api.value);
  if (keyFromMemory !== null && keyFromMemory !== origin) {
    // A remembered key goes only to the API origin it was remembered for.
    ui.key.value = "";
    keyFromMemory = null;
    toast("The remembered key belongs to another API origin: enter the key for this one.");
    return;
  }
  if (!key) {
    // Said at the field, and the badge no longer shows the last attempt's failure.
    setBadge("idle", "Not connected");
    ui.keyError.hidden = false;
    ui.key.setAttribute("aria-invalid", "true");
    ui.key.focus();
    return;
  }
  ui.keyError.hidden = true;
  ui.key.removeAttribute("aria-invalid");
  if (ownerKey !== null && (ownerKey !== key || owner?.origin !== origin)) clearClaims();
  ownerKey = key;
  if (ui.remember.checked && origin !== null) sessionStorage.setItem(KEY_SLOT, JSON.stringify({ origin, key }));
  else sessionStorage.removeItem(KEY_SLOT);
  const currencies = ui.currencies.value.split(",").map((c) => c.trim()).filter(Boolean);
  try {
    client = new LpClient({ ...tuning, apiUrl: ui.api.value.trim(), lpKey: key, currencies });
  } catch (e) {
    toast(e.message);
    return;
  }
  setConnected(true);
  panel.attach(client);
  // Tabs watching the same orders share one re-checker (never keyed by the key).
  stale.setScope(JSON.stringify([origin, [...currencies].sort()]));
  // The Connect button is disabled now: focus goes where the work is, not to <body>.
  ui.ordersTitle.focus();
  offs = [
    client.on("state", onState),
    client.on("init", (i) => {
      if (!i.resync) resetTable(i.orders);
      adoptOwner(i.lpId ?? client?.lpId);
      history.show(originOf(ui.api.value), i.lpId ?? client?.lpId);
      autoClaim.attach(client);
    }),
    client.on("order", (o) => addOrder(o, true)),
    client.on("order_removed", (e) => removeOrder(e.orderId)),
    // Any tab's claim of this LP: every tab shows the same outcome and the same claims.
    client.on("claim", (c) => {
      recordClaim({ origin: originOf(ui.api.value), lp: c.result?.order?.lp_id ?? client?.lpId }, c, blotter?.row(c.orderId)?.order).catch(() => {});
      claimSettled(c.orderId, c.result);
    }),
    client.on("error", (e) => {
      if (e.kind !== "unauthorized" && e.kind !== "rate_limited") toast(e.message);
    }),
  ];
  try {
    await client.connect();
  } catch (e) {
    if (e.kind !== "closed") toast(`Connection failed: ${e.message}`);
  }
}

/** The origin of an API URL (scheme, host, port), or null when it is not a URL. */
function originOf(url) {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return null;
  }
}

/** The remembered `{ origin, key }`, or null (an entry of another shape is dropped). */
function rememberedKey() {
  try {
    const r = JSON.parse(sessionStorage.getItem(KEY_SLOT) ?? "null");
    if (r && typeof r.origin === "string" && typeof r.key === "string") return r;
  } catch { /* not ours */ }
  sessionStorage.removeItem(KEY_SLOT);
  return null;
}

/** The blotter, its stale re-checks, the connection panel, the alerts and the hotkeys. */
function startTable() {
  blotter = createBlotter({
    zone: $("blotter"), bar: $("news-bar"), rows: ui.rows, head: $("orders-head"), caption: $("orders-caption"),
    count: ui.count, empty: ui.empty, title: ui.ordersTitle, currency: ui.filterCurrency, max: ui.filterMax,
    maxLabel: $("filter-max-label"), limits: $("filter-limits"),
  }, prefs, { onClaim: claim, onShown: () => {} });
  ui.staleAfter.value = String(prefs.staleAfterS);
  ui.staleAfter.addEventListener("input", () => {
    const v = Number(ui.staleAfter.value);
    if (Number.isFinite(v) && v >= 1 && v <= 3600) {
      prefs.staleAfterS = v;
      savePrefs(prefs);
    }
  });
  stale = startStaleChecks({
    thresholdMs: () => prefs.staleAfterS * 1000,
    rows: () => (client ? blotter.rows() : []),
    lookup: (id) => client.getOrder(id),
    onTaken: (id, o) => {
      if (!blotter.row(id)) return;
      // Ours after all (a claim answered elsewhere): a won claim, not a lost row.
      if (o && o.lp_id != null && client && o.lp_id === client.lpId) return client.getOrder(id).then((full) => claimSettled(id, { status: "claimed", order: full }), () => {});
      blotter.remove(id, o ? "Taken elsewhere" : "Gone");
    },
  });
  panel = createPanel({
    panel: $("link-panel"), summary: $("link-summary"), warn: $("link-warn"), last: $("link-last"), ping: $("link-ping"),
    claimRtt: $("link-claim"), sockets: $("link-sockets"), reconnect: $("reconnect"),
  }, setBadge);
  alerts = createAlerts({
    sound: $("alert-sound"), notify: $("alert-notify"), notifyHelp: $("notify-help"), announce: $("alert-announce"),
    announcer: $("announcer"), banner: $("away-banner"), bannerText: $("away-text"), bannerShow: $("away-show"), bannerClose: $("away-close"),
  }, prefs, { onShow: () => { blotter.showWaiting(true); ui.ordersTitle.scrollIntoView({ block: "start" }); } });
  ui.claimTop.addEventListener("click", claimTop);
  ui.pause.addEventListener("click", () => { setPaused(!paused); ui.pause.focus(); });
  ui.fiatTop.addEventListener("click", () => {
    const c = topToPay();
    if (!c) return toast("No claim to pay.", "info");
    if (!c.order?.payee?.account) return toast(`The payee of #${c.rec.id} is not known yet: Fiat sent waits for it.`, "info");
    askFiatSent(c);
  });
  ui.copyTop.addEventListener("click", () => {
    const c = topToPay();
    const b = c?.payee.querySelector('button.copy[aria-label^="Copy account"]');
    if (!b) return toast("No account to copy yet.", "info");
    b.focus();
    b.click();
  });
  startHotkeys();
}
// Auto-claim (the bot engine, in the shared worker) and the history panels (www/autoclaim.js, www/history.js).
const autoClaim = mountAutoClaim($("autoclaim"), { toast });
const history = mountHistory($("history"));

async function main() {
  // Config from the server that serves the page (the demo points it at its simulator).
  let config = {};
  try {
    const r = await fetch("config.json", { cache: "no-store" });
    if (r.ok) config = await r.json();
  } catch { /* no config: production defaults */ }
  ui.api.value = new URLSearchParams(location.search).get("api") ?? config.apiUrl ?? DEFAULT_API;
  for (const k of TUNABLE) if (Number.isFinite(config.clientOptions?.[k]) && config.clientOptions[k] > 0) tuning[k] = config.clientOptions[k];
  if (config.demoKeys) {
    ui.hint.hidden = false;
    ui.hint.textContent = `Local simulator: try ${config.demoKeys.join(" or ")}.`;
  }
  // A remembered key is bound to the API origin it was entered for: a link with another
  // `?api=` starts with an empty key field and says why.
  const remembered = rememberedKey();
  if (remembered !== null) {
    if (remembered.origin === originOf(ui.api.value)) {
      ui.key.value = remembered.key;
      ui.remember.checked = true;
      keyFromMemory = remembered.origin;
    } else {
      ui.hint.hidden = false;
      ui.hint.textContent = `A key is remembered for ${remembered.origin}, not for this API (${originOf(ui.api.value) ?? "an invalid URL"}): enter the key for it.`;
    }
  }
  ui.api.addEventListener("input", () => {
    if (keyFromMemory !== null && originOf(ui.api.value) !== keyFromMemory) {
      ui.key.value = "";
      keyFromMemory = null;
      ui.hint.hidden = false;
      ui.hint.textContent = "The API origin changed: the remembered key was cleared; enter the key for this API.";
    }
  });
  ui.key.addEventListener("input", () => (keyFromMemory = null));
  ui.remember.addEventListener("change", () => {
    if (!ui.remember.checked) sessionStorage.removeItem(KEY_SLOT);
  });
  startTable();
  ui.form.addEventListener("submit", connect);
  ui.disconnect.addEventListener("click", () => { disconnect(); onState({ state: "closed" }); });
  await init();
  document.body.dataset.ready = "true";
}

main().catch((e) => toast(`The dashboard could not start: ${e.message}`));
