// The dashboard's won claims in IndexedDB, so they survive a reload, a Disconnect and a
// closed tab, and every tab of the profile sees the same ones. A record is tied to the API
// origin and the LP id the server reports (never to the key, nor to anything derived from
// it: the key is not stored). Payee details are not stored either: they are read again
// from `GET /api/orders/{id}` after a reload.

import { openStore } from "./idb.js";

const DB = "rampwire-dashboard";
const STORE = "claims";
/** Most claims kept per LP (the oldest finished ones go first). */
const MAX = 500;

const db = openStore(DB, STORE);

function tx(mode, fn) {
  return db().then((d) => new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(out?.result ?? out);
    t.onerror = () => reject(t.error);
  }));
}

/** Tells the other tabs of a claim's new state (the records are shared, the screens are not). */
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("rampwire-dashboard/claims") : null;

/** Saves (or updates) a claim: `{ origin, lp, id, amount_fiat, currency, amount_usd, status, claimedAt }`. */
export function saveClaim(c) {
  channel?.postMessage({ origin: c.origin, lp: c.lp, id: c.id, status: c.status });
  return tx("readwrite", (s) => s.put(c));
}

/** Calls `fn({ origin, lp, id, status })` when another tab saves a claim. */
export function onClaimChange(fn) {
  if (channel) channel.onmessage = (e) => e.data && typeof e.data.id === "number" && fn(e.data);
}

/** The claims of LP `lp` at API `origin`, oldest first. */
export async function loadClaims(origin, lp) {
  const all = await tx("readonly", (s) => s.getAll(IDBKeyRange.bound([origin, lp, 0], [origin, lp, Infinity])));
  all.sort((a, b) => a.claimedAt - b.claimedAt);
  if (all.length > MAX) {
    const drop = all.filter((c) => c.status === "completed" || c.status === "expired" || c.status === "cancelled").slice(0, all.length - MAX);
    await tx("readwrite", (s) => { for (const c of drop) s.delete([c.origin, c.lp, c.id]); });
    return all.filter((c) => !drop.includes(c));
  }
  return all;
}
