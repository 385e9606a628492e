// Small JS helpers: the package's error class, and options as JSON text for the core.

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

/**
 * Options as JSON text, for the core's strict reader: non-finite numbers and BigInts
 * become strings (so they are refused as "must be a number", not read as null);
 * `undefined` is absent. Returns undefined when `value` is not a plain object.
 */
export function optionsJson(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  try {
    return JSON.stringify(value, (_, v) =>
      (typeof v === "number" && !Number.isFinite(v)) || typeof v === "bigint" ? String(v) : v,
    );
  } catch (_) {
    return undefined; // a cycle, or a throwing getter
  }
}
