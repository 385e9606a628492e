// The error class of the package: a JS Error subclass the Rust side creates.

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
