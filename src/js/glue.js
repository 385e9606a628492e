// Small JS helpers the Rust side cannot express: an Error subclass and a closure factory.

/** An error from rampwire-lp: `kind` says what class of failure; never holds the key. */
export class LpError extends Error {
  constructor(kind, message, status, orderId) {
    super(message);
    this.name = "LpError";
    this.kind = kind;
    if (status !== undefined) this.status = status;
    if (orderId !== undefined) this.orderId = orderId;
  }
}

export function makeLpError(kind, message, status, orderId) {
  return new LpError(kind, message, status, orderId);
}

/** An idempotent unsubscribe function that calls `off(id)` once. */
export function unsubscriber(off, id) {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    try { off(id); } catch (_) { /* the client was freed: nothing left to unsubscribe */ }
  };
}
