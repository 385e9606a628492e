// The dashboard's history: every claim outcome (won, lost) and what became of the won
// ones (fiat sent, completed, expired, cancelled), in IndexedDB beside the claims queue,
// per API origin and LP id (never the key), shared by the profile's tabs. Totals per
// currency and in USD (the order's `amount_usd`, the figure the bot engine's daily cap
// counts), win rate, claim latency (p50/p95, the hub's claim round trip), CSV export.

import { openStore } from "./idb.js";
import { el } from "./format.js";

const DB = "rampwire-dashboard-history";
const STORE = "orders";
/** Most orders kept per LP (the oldest go first). */
const MAX = 5000;
const FINAL = new Set(["completed", "expired", "cancelled"]);

const db = openStore(DB, STORE);

/** Runs `fn(store, done)` in one transaction; resolves with what `done` was given. */
function tx(mode, fn) {
  return db().then((d) => new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    let out;
    fn(t.objectStore(STORE), (v) => (out = v));
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
  }));
}

/** Tells the other tabs' panels to read again. */
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("rampwire-dashboard/history") : null;
const listeners = new Set();
const changed = (who) => {
  channel?.postMessage(who);
  for (const fn of listeners) fn(who);
};
if (channel) channel.onmessage = (e) => { for (const fn of listeners) fn(e.data); };

/** Updates the record of order `id` with `patch(old)` (old is undefined if none). */
function update(owner, id, patch) {
  if (owner?.origin == null || owner.lp == null || typeof id !== "number") return Promise.resolve();
  const key = [owner.origin, owner.lp, id];
  return tx("readwrite", (s) => {
    const g = s.get(key);
    g.onsuccess = () => {
      const next = patch(g.result);
      if (next) s.put({ ...next, origin: owner.origin, lp: owner.lp, id });
    };
  }).then(() => changed({ origin: owner.origin, lp: owner.lp }));
}

/**
 * A claim's outcome (the shared client's `claim` event: `{ orderId, result, ms, by,
 * order }`, `order` as the hub's book had it when the claim went out), `bookOrder` as
 * this tab's book shows it (for a hub without `order`).
 */
export function recordClaim(owner, ev, bookOrder) {
  const won = ev.result?.status === "claimed";
  const o = (won ? ev.result.order : null) ?? ev.order ?? bookOrder ?? {};
  return update(owner, ev.orderId, (old) => {
    if (old && (old.outcome === "won" || !won)) return null; // every tab hears it: first one writes
    return { currency: o.currency ?? old?.currency ?? "", amount_fiat: o.amount_fiat ?? null, amount_usd: o.amount_usd ?? null, outcome: won ? "won" : "lost", status: won ? "claimed" : "lost", claimMs: Number.isFinite(ev.ms) ? ev.ms : null, by: ev.by === "auto" ? "auto" : "tab", at: Date.now() };
  });
}

/** A won claim's new status (from the claims queue: `rec` is its record). */
export function recordStatus(rec, status) {
  return update(rec, rec.id, (old) => {
    if (old?.status === status) return null;
    const base = old ?? { currency: rec.currency, amount_fiat: rec.amount_fiat ?? null, amount_usd: rec.amount_usd ?? null, outcome: "won", claimMs: null, by: "tab", at: rec.claimedAt ?? Date.now() };
    return { ...base, outcome: "won", status, ...(FINAL.has(status) ? { finishedAt: Date.now() } : {}) };
  });
}

/** The history of LP `lp` at `origin`, oldest first (trimmed to the newest MAX). */
export async function loadHistory(origin, lp) {
  const range = IDBKeyRange.bound([origin, lp, -Infinity], [origin, lp, Infinity]);
  const all = await tx("readonly", (s, done) => { const r = s.getAll(range); r.onsuccess = () => done(r.result); });
  all.sort((a, b) => a.at - b.at);
  if (all.length > MAX) {
    const drop = all.splice(0, all.length - MAX);
    await tx("readwrite", (s) => { for (const r of drop) s.delete([r.origin, r.lp, r.id]); });
  }
  return all;
}

/** The `q` quantile (0..1) of sorted numbers, nearest rank; null if none. */
function quantile(sorted, q) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null;
}

const add = (a, b) => (Number.isFinite(b) ? (a ?? 0) + b : a);

/** Totals per currency and overall: counts, fiat and USD sums, win rate, latency p50/p95. */
export function totals(records) {
  const per = new Map();
  const all = { won: 0, lost: 0, completed: 0, wonUsd: 0, completedUsd: 0 };
  const ms = [];
  for (const r of records) {
    let t = per.get(r.currency);
    if (!t) per.set(r.currency, (t = { currency: r.currency, won: 0, lost: 0, completed: 0, wonFiat: 0, completedFiat: 0, wonUsd: 0, completedUsd: 0 }));
    if (Number.isFinite(r.claimMs)) ms.push(r.claimMs);
    if (r.outcome === "lost") { t.lost++; all.lost++; continue; }
    t.won++; all.won++;
    t.wonFiat = add(t.wonFiat, r.amount_fiat);
    t.wonUsd = add(t.wonUsd, r.amount_usd);
    all.wonUsd = add(all.wonUsd, r.amount_usd);
    if (r.status === "completed") {
      t.completed++; all.completed++;
      t.completedFiat = add(t.completedFiat, r.amount_fiat);
      t.completedUsd = add(t.completedUsd, r.amount_usd);
      all.completedUsd = add(all.completedUsd, r.amount_usd);
    }
  }
  ms.sort((a, b) => a - b);
  const tried = all.won + all.lost;
  return {
    currencies: [...per.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1)),
    ...all,
    winRate: tried ? all.won / tried : null,
    p50: quantile(ms, 0.5),
    p95: quantile(ms, 0.95),
  };
}

/** One CSV field: quoted when needed; a leading = + - @ cannot start a spreadsheet formula. */
function cell(v) {
  if (v == null) return "";
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const line = (vals) => vals.map(cell).join(",");
const round2 = (n) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : "");

/** The history as CSV: one row per order, then the totals per currency and overall. */
export function toCsv(records) {
  const out = [line(["order_id", "outcome", "status", "currency", "amount_fiat", "amount_usd", "claim_ms", "claimed_by", "claimed_at"])];
  for (const r of records) out.push(line([r.id, r.outcome, r.status, r.currency, r.amount_fiat, r.amount_usd, r.claimMs, r.by, new Date(r.at).toISOString()]));
  const t = totals(records);
  out.push("", line(["totals", "currency", "won", "lost", "completed", "won_fiat", "completed_fiat", "won_usd", "completed_usd"]));
  for (const c of t.currencies) out.push(line(["currency", c.currency, c.won, c.lost, c.completed, round2(c.wonFiat), round2(c.completedFiat), round2(c.wonUsd), round2(c.completedUsd)]));
  out.push(line(["all", "USD", t.won, t.lost, t.completed, "", "", round2(t.wonUsd), round2(t.completedUsd)]));
  out.push(line(["win_rate", t.winRate == null ? "" : round2(t.winRate)]), line(["claim_ms_p50", t.p50 ?? ""]), line(["claim_ms_p95", t.p95 ?? ""]));
  return out.join("\r\n") + "\r\n";
}

/** Mounts the history panel in `root`; `show(origin, lp)` when the LP is known. */
export function mountHistory(root) {
  const num = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const summary = el("p", { id: "history-summary", class: "muted", text: "Connect to see this LP's history." });
  const body = el("tbody", { id: "history-rows" });
  const table = el("table", { id: "history-totals" },
    el("caption", { class: "sr-only", text: "Totals per currency" }),
    el("thead", {}, el("tr", {}, ...["Cur.", "Won", "Lost", "Completed", "Won amount", "Won USD"].map((h, i) => el("th", { scope: "col", class: i ? "num" : "", text: h })))),
    body);
  const exportBtn = el("button", { id: "history-export", type: "button", text: "Export CSV", disabled: "" });
  root.replaceChildren(el("h2", { id: "history-title", text: "History and totals" }), summary, el("div", { class: "table-wrap" }, table), el("div", { class: "actions" }, exportBtn));
  let owner = null;
  let records = [];

  async function refresh() {
    if (!owner) return;
    const mine = owner;
    try {
      records = await loadHistory(mine.origin, mine.lp);
    } catch (e) {
      summary.textContent = `History could not be read: ${e.message}`;
      return;
    }
    if (owner !== mine) return;
    const t = totals(records);
    summary.textContent = `Won ${t.won}, lost ${t.lost}, completed ${t.completed} · win rate ${t.winRate == null ? "—" : `${Math.round(t.winRate * 100)} %`} · claim p50 ${t.p50 ?? "—"} ms, p95 ${t.p95 ?? "—"} ms · won ${usd.format(t.wonUsd)}`;
    body.replaceChildren(...t.currencies.map((c) => el("tr", { "data-currency": c.currency },
      el("th", { scope: "row", text: c.currency }),
      ...[c.won, c.lost, c.completed].map((v) => el("td", { class: "num", text: String(v) })),
      el("td", { class: "num", text: num.format(c.wonFiat) }),
      el("td", { class: "num", text: usd.format(c.wonUsd) }))),
    el("tr", { class: "total" }, el("th", { scope: "row", text: "All (USD)" }), ...[t.won, t.lost, t.completed].map((v) => el("td", { class: "num", text: String(v) })), el("td", {}), el("td", { class: "num", text: usd.format(t.wonUsd) })));
    if (records.length) exportBtn.removeAttribute("disabled");
    else exportBtn.setAttribute("disabled", "");
  }

  let pending = null;
  listeners.add((who) => {
    if (!owner || who?.origin !== owner.origin || who?.lp !== owner.lp) return;
    // Many outcomes at once (every tab writes): read once per burst.
    pending ??= setTimeout(() => { pending = null; refresh(); }, 50);
  });

  exportBtn.addEventListener("click", () => {
    if (!owner || !records.length) return;
    const url = URL.createObjectURL(new Blob([toCsv(records)], { type: "text/csv;charset=utf-8" }));
    const a = el("a", { href: url, download: `rampwire-history-lp${owner.lp}-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  return {
    /** Shows the history of LP `lp` at API `origin`. */
    show(origin, lp) {
      if (origin == null || lp == null || (owner?.origin === origin && owner.lp === lp)) return;
      owner = { origin, lp };
      refresh();
    },
  };
}
