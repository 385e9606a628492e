// Formatting and DOM helpers shared by the dashboard's modules.

const NUMBER = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
/** An amount with thousands separators ("—" when unreadable). */
export const money = (n) => (Number.isFinite(n) ? NUMBER.format(n) : "—");
const USD = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
/** A USD amount, e.g. "$12,345.50". */
export const usd = (n) => (Number.isFinite(n) ? USD.format(n) : "—");

/** An age such as "42s", "3m 5s", "1h 2m". */
export function age(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** A duration such as "12 ms" or "1.4 s" ("—" when unknown). */
export function delay(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `document.createElement` with attributes (`class`, `text`, others as attributes) and children. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}
