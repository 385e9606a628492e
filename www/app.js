// The operator dashboard: watches orders through LpClient, claims over HTTP, and walks
// each won order through payee → fiat sent → completed. Plain ES module, no build step.
// It uses `rampwire-lp/shared`: every tab of the browser shares one socket per key (the
// provider caps 5), one book, and one claim per order.
// The key lives in memory (or sessionStorage when the operator asks); it is never logged,
// never put in a URL, never in localStorage.

import init, { LpClient } from "./pkg/shared.js";
import { saveClaim, loadClaims, onClaimChange } from "./claims-store.js";

const $ = (id) => document.getElementById(id);
const KEY_SLOT = "rampwire.lpKey";
/** The API origin the key field's value was remembered for (null: typed in by the operator). */
let keyFromMemory = null;
/** How long a row shows "Won" / "Lost" before it leaves the table. */
const OUTCOME_MS = 2500;
const DEFAULT_API = "https://api.rampwire.app";

const ui = {
  form: $("connect-form"), api: $("api-url"), key: $("lp-key"), currencies: $("currencies"),
  remember: $("remember"), connect: $("connect"), disconnect: $("disconnect"), hint: $("demo-hint"),
  badge: $("badge"), rows: $("order-rows"), empty: $("orders-empty"), count: $("order-count"),
  filterCurrency: $("filter-currency"), filterMax: $("filter-max"),
  claims: $("claim-list"), claimsEmpty: $("claims-empty"), toasts: $("toasts"),
  keyError: $("key-error"), ordersTitle: $("orders-title"),
};

let client = null;
let offs = [];
/** id → { order, arrivedAt, delayMs, tr, outcome } */
const rows = new Map();
/** id → the claim card's parts (see showClaim) */
const claims = new Map();
let countdown = null;
/** The claim card whose Fiat sent button last had focus (for hotkeys). */
let lastClaimCard = null;

// ---- formatting -----------------------------------------------------------------

const money = (n) => {
  try {
    return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(n);
  } catch {
    return String(n);
  }
};
const USD = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const usd = (n) => (Number.isFinite(n) ? USD.format(n) : "—");
function age(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
function delay(ms) {
  if (ms === null || !Number.isFinite(ms)) return "—";
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

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
  ui.badge.textContent = text;
}

function onState(s) {
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

// ---- the order table ---------------------------------------------------------------

function passesFilter(o) {
  const cur = ui.filterCurrency.value;
  const max = parseFloat(ui.filterMax.value);
  return (!cur || o.currency === cur) && (!Number.isFinite(max) || o.amount_fiat <= max);
}

function refreshCurrencies() {
  const seen = new Set([...rows.values()].map((r) => r.order.currency));
  const have = new Set([...ui.filterCurrency.options].map((o) => o.value));
  for (const c of [...seen].sort()) {
    if (!have.has(c)) ui.filterCurrency.append(el("option", { value: c, text: c }));
  }
}

function applyFilters() {
  let shown = 0;
  for (const r of rows.values()) {
    const visible = passesFilter(r.order);
    r.tr.hidden = !visible;
    if (visible) shown++;
  }
  ui.count.textContent = `(${shown}${shown !== rows.size ? ` of ${rows.size}` : ""})`;
  ui.empty.hidden = shown > 0;
}

function makeRow(o, arrivedAt, delayMs, fresh) {
  const claimBtn = el("button", { type: "button", class: "claim", text: "Claim", "aria-label": `Claim order ${o.id}` });
  const outcome = el("span", { class: "outcome", role: "status", tabindex: "-1" });
  const tr = el("tr", { "data-id": String(o.id) },
    el("td", {}, `#${o.id}`, ...(fresh ? [el("span", { class: "new-mark", text: "New" })] : [])),
    el("td", { class: "num amount", text: money(o.amount_fiat), "data-cur": o.currency }),
    el("td", { text: o.currency }),
    el("td", { class: "num", text: usd(o.amount_usd) }),
    el("td", { text: `${o.crypto_symbol.toUpperCase()} · ${o.crypto_chain}` }),
    el("td", { class: "num age" }),
    el("td", { class: "num", text: delay(delayMs) }),
    el("td", { class: "act" }, claimBtn, outcome),
  );
  if (fresh) {
    tr.classList.add("fresh");
    setTimeout(() => { tr.classList.remove("fresh"); tr.querySelector(".new-mark")?.remove(); }, 10000);
  }
  claimBtn.addEventListener("click", () => claim(o.id));
  return { order: o, arrivedAt, delayMs, tr, outcome: null };
}

function addOrder(o, fresh) {
  if (rows.has(o.id)) return;
  const now = Date.now();
  const created = Date.parse(o.created_at);
  const r = makeRow(o, now, fresh && Number.isFinite(created) ? now - created : null, fresh);
  rows.set(o.id, r);
  // Newest (highest id) first.
  const after = [...rows.values()].filter((x) => x.order.id < o.id).sort((a, b) => b.order.id - a.order.id)[0];
  if (after && after.tr.parentNode) ui.rows.insertBefore(r.tr, after.tr);
  else ui.rows.append(r.tr);
  updateAge(r, now);
  refreshCurrencies();
  applyFilters();
}

function removeOrder(id) {
  const r = rows.get(id);
  if (!r || r.leaving) return;
  if (r.outcome) {
    // The operator is looking at the outcome of their own click: let it show first.
    r.leaving = true;
    setTimeout(() => dropRow(r), OUTCOME_MS);
    return;
  }
  dropRow(r);
}

/** Takes a row out; focus inside it moves to the next row's Claim (or the table's title). */
function dropRow(r) {
  const focused = r.tr.contains(document.activeElement);
  let next = r.tr.nextElementSibling;
  while (next && (next.hidden || !next.querySelector("button.claim:not([hidden])"))) next = next.nextElementSibling;
  r.tr.remove();
  rows.delete(r.order.id);
  applyFilters();
  if (focused) (next?.querySelector("button.claim") ?? ui.ordersTitle).focus();
}

function resetTable(orders) {
  for (const r of rows.values()) r.tr.remove();
  rows.clear();
  for (const o of orders) addOrder(o, false);
  applyFilters();
}

function updateAge(r, now) {
  const created = Date.parse(r.order.created_at);
  r.tr.querySelector(".age").textContent = Number.isFinite(created) ? age(now - created) : "—";
}

setInterval(() => {
  const now = Date.now();
  for (const r of rows.values()) updateAge(r, now);
}, 1000);

function showOutcome(id, text, cls) {
  const r = rows.get(id);
  if (!r) return;
  r.outcome = cls;
  const btn = r.tr.querySelector("button.claim");
  const hadFocus = document.activeElement === btn;
  btn.hidden = true;
  const span = r.tr.querySelector(".outcome");
  span.textContent = text;
  span.className = `outcome ${cls}`;
  if (hadFocus) span.focus();
}

// ---- claims --------------------------------------------------------------------------

async function claim(id) {
  const r = rows.get(id);
  if (!client || !r || r.outcome === "pending") return;
  const btn = r.tr.querySelector("button.claim");
  // aria-disabled, not disabled: a disabled button drops the keyboard focus to <body>.
  btn.setAttribute("aria-disabled", "true");
  btn.textContent = "Claiming…";
  // The client drops the order from its book as the answer lands: keep the row for the outcome.
  r.outcome = "pending";
  try {
    claimSettled(id, await client.claim(id));
  } catch (e) {
    r.outcome = null;
    btn.removeAttribute("aria-disabled");
    btn.textContent = "Claim";
    toast(`Claim of #${id} failed: ${e.message}`);
  }
}

/** A claim's outcome, from this tab's click or another tab's (same LP). */
function claimSettled(id, res) {
  const r = rows.get(id);
  if (res.status === "claimed") {
    if (r) showOutcome(id, "Won ✓", "won");
    addClaim(id, res.order ?? r?.order);
  } else if (r && r.outcome === "pending") {
    showOutcome(id, "Lost to another LP", "lost");
  }
  if (r) removeOrder(id);
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
  sent.addEventListener("focus", () => (lastClaimCard = c));
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
  // The claims stay on screen (the operator may still have to pay them), their actions
  // off until a client of the same LP is connected again.
  for (const c of claims.values()) { c.client = null; c.sent.disabled = true; }
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
    client = new LpClient({ apiUrl: ui.api.value.trim(), lpKey: key, currencies });
  } catch (e) {
    toast(e.message);
    return;
  }
  setConnected(true);
  // The Connect button is disabled now: focus goes where the work is, not to <body>.
  ui.ordersTitle.focus();
  offs = [
    client.on("state", onState),
    client.on("init", (i) => {
      if (!i.resync) resetTable(i.orders);
      adoptOwner(i.lpId ?? client?.lpId);
    }),
    client.on("order", (o) => addOrder(o, true)),
    client.on("order_removed", (e) => removeOrder(e.orderId)),
    // Any tab's claim of this LP: every tab shows the same outcome and the same claims.
    client.on("claim", (c) => claimSettled(c.orderId, c.result)),
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

async function main() {
  // Config from the server that serves the page (the demo points it at its simulator).
  let config = {};
  try {
    const r = await fetch("config.json", { cache: "no-store" });
    if (r.ok) config = await r.json();
  } catch { /* no config: production defaults */ }
  ui.api.value = new URLSearchParams(location.search).get("api") ?? config.apiUrl ?? DEFAULT_API;
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
  ui.filterCurrency.addEventListener("change", applyFilters);
  ui.filterMax.addEventListener("input", applyFilters);
  ui.form.addEventListener("submit", connect);
  ui.disconnect.addEventListener("click", () => { disconnect(); onState({ state: "closed" }); });
  await init();
  document.body.dataset.ready = "true";
}

main().catch((e) => toast(`The dashboard could not start: ${e.message}`));
