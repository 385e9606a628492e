// What crosses a MessagePort or BroadcastChannel between a tab and the shared hub: plain
// data. Errors lose their class in a structured clone, so they travel as `{ $err: {...} }`
// and become `LpError`s again on the tab side.

/** `v` with every Error in it (any depth ≤ 4) turned into `{ $err: { kind, message, status, orderId } }`. */
export function toWire(v, depth = 0) {
  if (v instanceof Error) return { $err: { kind: v.kind ?? "unknown", message: v.message, status: v.status, orderId: v.orderId } };
  if (!v || typeof v !== "object" || depth > 4) return v;
  if (Array.isArray(v)) return v.map((x) => toWire(x, depth + 1));
  const out = {};
  for (const k of Object.keys(v)) out[k] = toWire(v[k], depth + 1);
  return out;
}

/** The inverse of `toWire`, with `LpError` as the errors' class. */
export function fromWire(v, LpError, depth = 0) {
  if (!v || typeof v !== "object" || depth > 4) return v;
  if (v.$err) return new LpError(v.$err.kind, v.$err.message, v.$err.status, v.$err.orderId);
  if (Array.isArray(v)) return v.map((x) => fromWire(x, LpError, depth + 1));
  const out = {};
  for (const k of Object.keys(v)) out[k] = fromWire(v[k], LpError, depth + 1);
  return out;
}
