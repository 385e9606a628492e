// The order table as a stable blotter: while the operator's pointer or focus is in it (or
// the view is paused), new rows wait behind an "n new" bar and finished rows stay where
// they are, so a click lands on the row it was aimed at. Sortable columns, a currency
// filter with an amount limit per currency, all saved (prefs.js).

import { money, usd, age, delay, el } from "./format.js";
import { savePrefs } from "./prefs.js";

/** How long a row shows the operator's own outcome ("Won" / "Lost") before it may leave. */
const OUTCOME_MS = 2500;
/** How long a row is marked "New" (in words and with a left bar, not only a tint). */
const FRESH_MS = 10000;
/** Most orders waiting behind the bar (the client's book holds 1000). */
const MAX_WAITING = 1000;

/** Sort keys of the columns, each a function of a row. */
const KEYS = {
  id: (r) => r.order.id,
  amount: (r) => r.order.amount_fiat ?? -Infinity,
  currency: (r) => r.order.currency,
  usd: (r) => r.order.amount_usd ?? -Infinity,
  age: (r) => -(Date.parse(r.order.created_at) || 0),
};

/**
 * The blotter over the page's order table. `ui`: its elements; `prefs`: the saved view;
 * `onClaim(id)`: a row's Claim was pressed; `onShown(orders)`: rows entered the table.
 */
export function createBlotter(ui, prefs, { onClaim, onShown = () => {} }) {
  /** id → row: { order, tr, btn, outcome, state: "open" | "pending" | "won" | "lost" | "taken", leaveAt, checkedAt, fresh } */
  const rows = new Map();
  /** Orders waiting behind the bar, in arrival order: id → { order, arrivedAt, delayMs }. */
  const waiting = new Map();
  let pointerIn = false;
  let paused = false;

  // ---- holding -----------------------------------------------------------------------

  /** Focus on the operator's controls in the blotter holds it; on a row's outcome it does not (that row is leaving). */
  const focusHolds = () => {
    const a = document.activeElement;
    return !!a && ui.zone.contains(a) && !a.classList.contains("outcome") && a !== ui.zone;
  };
  const held = () => paused || pointerIn || focusHolds();

  ui.zone.addEventListener("pointerenter", (e) => { if (e.pointerType !== "touch") pointerIn = true; });
  ui.zone.addEventListener("pointerleave", () => { pointerIn = false; settle(); });
  // After focus moves the new active element is known only on the next task.
  ui.zone.addEventListener("focusout", () => setTimeout(settle, 0));
  ui.bar.addEventListener("click", () => showWaiting(true));

  /** Applies what waited, if nothing holds the table now. */
  function settle() {
    if (!held()) showWaiting(false);
  }

  /** Lets the waiting rows in and the finished rows out; `focusFirst`: the operator asked (bar). */
  function showWaiting(focusFirst) {
    const entered = [];
    for (const w of waiting.values()) {
      const r = insert(w.order, w.arrivedAt, w.delayMs, true);
      if (r) entered.push(r);
    }
    waiting.clear();
    sweep(focusFirst);
    updateBar();
    count();
    if (entered.length) onShown(entered.map((r) => r.order));
    if (focusFirst) {
      const first = entered.map((r) => r.tr).filter((tr) => !tr.hidden).sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))[0];
      (first?.querySelector("button.claim") ?? ui.title).focus();
    }
  }

  const setText = (t) => {
    if (ui.bar.textContent !== t) ui.bar.textContent = t;
  };

  function updateBar() {
    const n = [...waiting.values()].filter((w) => passes(w.order)).length;
    const gone = [...rows.values()].filter((r) => r.leaveAt !== null).length;
    ui.bar.hidden = false;
    if (n || (held() && gone)) {
      const parts = [];
      if (n) parts.push(`${n} new`);
      if (gone) parts.push(`${gone} finished`);
      setText(`${parts.join(", ")}: show`);
      ui.bar.classList.add("has-news");
      ui.bar.removeAttribute("aria-disabled");
    } else {
      setText(paused ? "Paused: new orders wait here" : "Up to date");
      ui.bar.classList.remove("has-news");
      ui.bar.setAttribute("aria-disabled", "true");
    }
  }

  // ---- rows --------------------------------------------------------------------------

  /** The filter the operator set: a currency, and the amount limit of the order's currency. */
  function passes(o) {
    if (prefs.currency && o.currency !== prefs.currency) return false;
    const limit = prefs.limits[o.currency] ?? prefs.limits["*"];
    // Fail closed: an unreadable amount never passes a limit.
    return limit === undefined || (Number.isFinite(o.amount_fiat) && o.amount_fiat <= limit);
  }

  function compare(a, b) {
    const k = KEYS[prefs.sort.key] ?? KEYS.id;
    const x = k(a);
    const y = k(b);
    const c = x < y ? -1 : x > y ? 1 : b.order.id - a.order.id;
    return prefs.sort.dir === "asc" ? c : -c;
  }

  function makeRow(o, arrivedAt, delayMs, fresh) {
    const btn = el("button", { type: "button", class: "claim", text: "Claim", "aria-label": `Claim order ${o.id}` });
    const outcome = el("span", { class: "outcome", role: "status", tabindex: "-1" });
    const tr = el("tr", { "data-id": String(o.id), "data-state": "open" },
      el("td", {}, `#${o.id}`, ...(fresh ? [el("span", { class: "new-mark", text: "New" })] : [])),
      el("td", { class: "num amount", text: money(o.amount_fiat), "data-cur": o.currency }),
      el("td", { text: o.currency }),
      el("td", { class: "num", text: usd(o.amount_usd) }),
      el("td", { text: `${String(o.crypto_symbol).toUpperCase()} · ${o.crypto_chain}` }),
      el("td", { class: "num age" }),
      el("td", { class: "num", text: delay(delayMs) }),
      el("td", { class: "act" }, btn, outcome),
    );
    if (fresh) {
      tr.classList.add("fresh");
      setTimeout(() => { tr.classList.remove("fresh"); tr.querySelector(".new-mark")?.remove(); }, FRESH_MS);
    }
    btn.addEventListener("click", () => onClaim(o.id));
    return { order: o, arrivedAt, tr, btn, outcome, state: "open", leaveAt: null, checkedAt: null, fresh };
  }

  function insert(o, arrivedAt, delayMs, fresh) {
    if (rows.has(o.id)) return null;
    const r = makeRow(o, arrivedAt, delayMs, fresh);
    rows.set(o.id, r);
    const after = [...rows.values()].filter((x) => x !== r && x.tr.parentNode && compare(r, x) < 0).sort(compare)[0];
    ui.rows.insertBefore(r.tr, after?.tr ?? null);
    r.tr.hidden = !passes(o);
    updateAge(r, Date.now());
    refreshCurrencies(o.currency);
    return r;
  }

  function drop(r) {
    const focused = r.tr.contains(document.activeElement);
    let next = r.tr.nextElementSibling;
    while (next && (next.hidden || next.dataset.state !== "open")) next = next.nextElementSibling;
    r.tr.remove();
    rows.delete(r.order.id);
    if (focused) (next?.querySelector("button.claim") ?? ui.title).focus();
  }

  /** Takes out the finished rows whose time has come, unless held (`force`: the operator asked). */
  function sweep(force = false) {
    if (!force && held()) return;
    const t = Date.now();
    let any = false;
    for (const r of [...rows.values()]) {
      if (r.leaveAt !== null && r.leaveAt <= t) {
        drop(r);
        any = true;
      }
    }
    if (any) count();
  }

  function count() {
    let shown = 0;
    for (const r of rows.values()) if (!r.tr.hidden) shown++;
    ui.count.textContent = `(${shown}${shown !== rows.size ? ` of ${rows.size}` : ""})`;
    ui.empty.hidden = shown > 0;
  }

  function updateAge(r, now) {
    const created = Date.parse(r.order.created_at);
    r.tr.querySelector(".age").textContent = Number.isFinite(created) ? age(now - created) : "—";
  }

  function refreshCurrencies(c) {
    if (!c || [...ui.currency.options].some((o) => o.value === c)) return;
    const opts = [...ui.currency.options].slice(1).map((o) => o.value).concat(c).sort();
    ui.currency.insertBefore(el("option", { value: c, text: c }), ui.currency.options[1 + opts.indexOf(c)] ?? null);
  }

  function applyFilters() {
    for (const r of rows.values()) r.tr.hidden = !passes(r.order);
    count();
    updateBar();
  }

  // ---- filters and sort --------------------------------------------------------------

  function showLimit(field = true) {
    const cur = ui.currency.value;
    const v = prefs.limits[cur || "*"];
    if (field) ui.max.value = v === undefined ? "" : String(v);
    ui.maxLabel.textContent = cur ? `Max ${cur}` : "Max amount";
    const list = Object.entries(prefs.limits).map(([c, v]) => `${c === "*" ? "others" : c} ≤ ${money(v)}`);
    ui.limits.textContent = list.length ? `Limits: ${list.join(", ")}` : "";
  }

  // The currencies the operator set a filter or limit for are offered before any order arrives.
  for (const c of [prefs.currency, ...Object.keys(prefs.limits)]) if (c !== "*") refreshCurrencies(c);
  ui.currency.value = prefs.currency;
  showLimit();
  ui.currency.addEventListener("change", () => {
    prefs.currency = ui.currency.value;
    savePrefs(prefs);
    showLimit();
    applyFilters();
  });
  ui.max.addEventListener("input", () => {
    const slot = ui.currency.value || "*";
    const v = parseFloat(ui.max.value);
    if (Number.isFinite(v) && v >= 0) prefs.limits[slot] = v;
    else delete prefs.limits[slot];
    savePrefs(prefs);
    showLimit(false); // the field keeps what is being typed
    applyFilters();
  });

  function showSort() {
    for (const th of ui.head.querySelectorAll("th[data-sort]")) {
      const on = th.dataset.sort === prefs.sort.key;
      if (on) th.setAttribute("aria-sort", prefs.sort.dir === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    ui.caption.textContent = `Open sell orders, sorted by ${ui.head.querySelector(`th[data-sort="${prefs.sort.key}"]`)?.textContent.trim() ?? "order"}, ${prefs.sort.dir === "asc" ? "ascending" : "descending"}`;
  }
  for (const th of ui.head.querySelectorAll("th[data-sort]")) {
    const label = th.textContent;
    const b = el("button", { type: "button", class: "sort", text: label });
    th.replaceChildren(b);
    b.addEventListener("click", () => {
      const key = th.dataset.sort;
      prefs.sort = { key, dir: prefs.sort.key === key && prefs.sort.dir === "desc" ? "asc" : "desc" };
      savePrefs(prefs);
      showSort();
      // The operator asked for a new order of rows: re-sort now, held or not.
      for (const r of [...rows.values()].sort(compare)) ui.rows.append(r.tr);
    });
  }
  showSort();

  setInterval(() => {
    const now = Date.now();
    for (const r of rows.values()) updateAge(r, now);
    sweep();
    updateBar();
  }, 250);
  updateBar();

  // ---- what the page calls -----------------------------------------------------------

  return {
    /** Whether an order passes the operator's filter rules. */
    passes,
    /** The row of an order, if shown. */
    row: (id) => rows.get(id),
    /** Every row shown (finished ones included). */
    rows: () => rows.values(),
    /** Whether the table is held (pointer, focus or pause). */
    held,
    /** Replaces the table with a snapshot (the first init). */
    reset(orders) {
      for (const r of rows.values()) r.tr.remove();
      rows.clear();
      waiting.clear();
      for (const o of orders) insert(o, Date.now(), null, false);
      count();
      updateBar();
    },
    /** A new order: shown now, or behind the bar while the table is held. Returns true when shown. */
    add(o, fresh) {
      if (rows.has(o.id) || waiting.has(o.id)) return false;
      const now = Date.now();
      const created = Date.parse(o.created_at);
      const delayMs = fresh && Number.isFinite(created) ? now - created : null;
      if (held()) {
        if (waiting.size >= MAX_WAITING) waiting.delete(waiting.keys().next().value);
        waiting.set(o.id, { order: o, arrivedAt: now, delayMs });
        updateBar();
        return false;
      }
      insert(o, now, delayMs, fresh);
      count();
      return true;
    },
    /** The order is gone from the server's book (taken, vanished): marked, and out when safe. */
    remove(id, text = "Taken") {
      if (waiting.delete(id)) return updateBar();
      const r = rows.get(id);
      if (!r || r.state === "pending" || r.leaveAt !== null) return;
      r.state = "taken";
      r.tr.dataset.state = "taken";
      mark(r, text, "gone");
      r.leaveAt = Date.now();
      sweep();
      updateBar();
    },
    /** A claim of this row is under way. */
    pending(id, on) {
      const r = rows.get(id);
      if (!r) return;
      r.state = on ? "pending" : "open";
      r.tr.dataset.state = r.state;
      if (on) r.btn.setAttribute("aria-disabled", "true");
      else r.btn.removeAttribute("aria-disabled");
      r.btn.textContent = on ? "Claiming…" : "Claim";
    },
    /** The operator's claim ended: "Won ✓" or "Lost to another LP", then the row may leave. */
    outcome(id, text, cls) {
      const r = rows.get(id);
      if (!r) return;
      r.state = cls;
      r.tr.dataset.state = cls;
      mark(r, text, cls);
      r.leaveAt = Date.now() + OUTCOME_MS;
    },
    /** Pauses (holds) the table, or lets it go. */
    setPaused(on) {
      paused = on;
      settle();
      updateBar();
    },
    /** Lets the waiting rows in now (the bar's action). */
    showWaiting,
    /** The first open row the filter shows, top to bottom. */
    topMatch() {
      for (const tr of ui.rows.children) if (!tr.hidden && tr.dataset.state === "open") return rows.get(Number(tr.dataset.id));
      return null;
    },
  };

  function mark(r, text, cls) {
    const hadFocus = document.activeElement === r.btn;
    r.btn.hidden = true;
    r.outcome.textContent = text;
    r.outcome.className = `outcome ${cls}`;
    if (hadFocus) r.outcome.focus();
  }
}
