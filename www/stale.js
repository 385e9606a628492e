// Re-checks old rows with GET /api/orders/{id}: orders taken over HTTP are never broadcast,
// so without a look-up a row taken elsewhere would stay "open" with a live Claim button.
// Bounded: at most RATE look-ups a second, INFLIGHT at once; each row at most once per
// threshold; a 429 pauses the checks.

const RATE = 4;
const INFLIGHT = 2;
const TICK_MS = 250;
const PAUSE_AFTER_429_MS = 15000;

/**
 * Starts the checker. `thresholdMs()`: how old a row must be (and how often it is looked at
 * again); `rows()`: the blotter's rows; `lookup(id)`: the client's getOrder; `onTaken(row,
 * order | null)`: the server no longer has it open (null: not found). Returns `stop()`.
 */
export function startStaleChecks({ thresholdMs, rows, lookup, onTaken }) {
  let tokens = RATE;
  let inFlight = 0;
  let pausedUntil = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    tokens = Math.min(RATE, tokens + (RATE * TICK_MS) / 1000);
    if (now < pausedUntil) return;
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
          if (o.status !== "open") onTaken(r, o);
        },
        (e) => {
          r.checkedAt = Date.now();
          if (e?.kind === "not_found") onTaken(r, null);
          else if (e?.kind === "rate_limited") pausedUntil = Date.now() + PAUSE_AFTER_429_MS;
        },
      ).finally(() => {
        r.checking = false;
        inFlight--;
      });
    }
  }, TICK_MS);
  return () => clearInterval(timer);
}
