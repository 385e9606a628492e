// Re-checks old rows with GET /api/orders/{id}: orders taken over HTTP are never broadcast,
// so without a look-up a row taken elsewhere would stay "open" with a live Claim button.
// Bounded: at most RATE look-ups a second, INFLIGHT at once, each row at most once per
// threshold, a 429 pauses them; and one tab checks for every tab of the browser that
// watches the same orders (a Web Lock per scope elects it; it tells the others what it
// found over a BroadcastChannel), so eight tabs do not make eight times the look-ups.
// What it found is also kept (localStorage, the newest KNOWN per scope): the shared book
// still holds an order taken over HTTP, so a tab that opens, or gets the row, after the
// message went out must still learn it — the checker never looks at that order again.

const RATE = 4;
const INFLIGHT = 2;
const TICK_MS = 250;
const PAUSE_AFTER_429_MS = 15000;
const CHANNEL = "rampwire-dashboard/stale";
const KNOWN = 500;
const KNOWN_SLOT = "rampwire-dashboard/taken/";

/** The orders found no longer open in `scope`: id -> { id, status, lp_id } | null (not found). */
function readKnown(scope) {
  try {
    const list = JSON.parse(localStorage.getItem(KNOWN_SLOT + scope) ?? "[]");
    return new Map(Array.isArray(list) ? list.filter((e) => Array.isArray(e) && Number.isSafeInteger(e[0])).slice(-KNOWN) : []);
  } catch {
    return new Map();
  }
}

/** Keeps `known` (at most KNOWN entries, oldest first) as the findings of `scope`. */
function writeKnown(scope, known) {
  try {
    localStorage.setItem(KNOWN_SLOT + scope, JSON.stringify([...known]));
  } catch { /* storage full or off: the BroadcastChannel message still went out */ }
}

/**
 * Starts the checker. `thresholdMs()`: how old a row must be (and how often it is looked at
 * again); `rows()`: the blotter's rows; `lookup(id)`: the client's getOrder; `onTaken(id,
 * order | null)`: the server no longer has it open (null: not found), found by this tab
 * or another. Returns `{ setScope(scope) }`: what this tab watches (API origin and
 * currencies: tabs of equal scope share one checker), or null when not connected.
 */
export function startStaleChecks({ thresholdMs, rows, lookup, onTaken }) {
  let tokens = RATE;
  let inFlight = 0;
  let pausedUntil = 0;
  /** This tab's scope, and whether it holds the scope's lock (it is the checker). */
  let scope = null;
  let checking = false;
  let release = null;
  /**
   * The scope's findings, whoever made them: read from storage when the scope is set (a
   * tab opened late), then added to from the channel and this tab's own look-ups.
   */
  let known = new Map();
  /** Orders this tab took from `known` for a row it got later (each once). */
  const applied = new Set();
  const remember = (id, order) => {
    known.delete(id);
    known.set(id, order);
    if (known.size > KNOWN) known.delete(known.keys().next().value);
  };
  const bc = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
  if (bc) bc.onmessage = (e) => {
    const m = e.data;
    if (!(m && m.scope === scope && Number.isSafeInteger(m.id))) return;
    remember(m.id, m.order ?? null);
    onTaken(m.id, m.order ?? null);
  };

  function found(id, order) {
    onTaken(id, order);
    const o = order ? { id: order.id, status: order.status, lp_id: order.lp_id } : null;
    remember(id, o);
    writeKnown(scope, known);
    bc?.postMessage({ scope, id, order: o });
  }

  /** Open rows of orders already found taken (this tab had no row when it heard). */
  function applyKnown() {
    if (known.size === 0) return;
    for (const r of rows()) {
      if (r.state !== "open" || applied.has(r.order.id) || !known.has(r.order.id)) continue;
      // Once per order in this tab (onTaken may look the order up again: ours after all).
      applied.add(r.order.id);
      if (applied.size > KNOWN) applied.delete(applied.values().next().value);
      onTaken(r.order.id, known.get(r.order.id));
    }
  }

  function tick() {
    const now = Date.now();
    tokens = Math.min(RATE, tokens + (RATE * TICK_MS) / 1000);
    applyKnown();
    if (!checking || now < pausedUntil) return;
    const limit = thresholdMs();
    const due = [];
    for (const r of rows()) {
      if (r.state !== "open" || r.checking) continue;
      const created = Date.parse(r.order.created_at);
      const born = Number.isFinite(created) ? Math.min(created, r.arrivedAt) : r.arrivedAt;
      if (now - born < limit) continue;
      if (r.checkedAt !== null && now - r.checkedAt < limit) continue;
      due.push(r);
    }
    // Never looked at first, then the longest unchecked.
    due.sort((a, b) => (a.checkedAt ?? 0) - (b.checkedAt ?? 0));
    for (const r of due) {
      if (tokens < 1 || inFlight >= INFLIGHT) break;
      tokens -= 1;
      inFlight++;
      r.checking = true;
      lookup(r.order.id).then(
        (o) => {
          r.checkedAt = Date.now();
          r.tr.dataset.checked = String(o.status);
          if (o.status !== "open") found(r.order.id, o);
        },
        (e) => {
          r.checkedAt = Date.now();
          if (e?.kind === "not_found") found(r.order.id, null);
          else if (e?.kind === "rate_limited") pausedUntil = Date.now() + PAUSE_AFTER_429_MS;
        },
      ).finally(() => {
        r.checking = false;
        inFlight--;
      });
    }
  }
  setInterval(tick, TICK_MS);

  return {
    setScope(next) {
      if (next === scope) return;
      release?.();
      release = null;
      checking = false;
      scope = next;
      known = next === null ? new Map() : readKnown(next);
      if (next === null) return;
      const locks = globalThis.navigator?.locks;
      if (!locks || !bc) {
        checking = true;
        return;
      }
      // Held until the scope changes (or the tab goes): then another tab of it takes over.
      const held = new Promise((resolve) => (release = resolve));
      locks.request(`rampwire-dashboard/stale/${next}`, () => {
        if (scope !== next) return undefined;
        checking = true;
        return held;
      }).catch(() => {});
    },
  };
}
