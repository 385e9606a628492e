// The claim policy, from wrangler.toml [vars]. Parsed strictly: a bad value stops the bot
// and /status says which one and why.

/**
 * @typedef {{ currencies: Set<string>, maxAmount: Map<string, number>, maxOpenClaims: number, dailyUsdCap: number | null }} Policy
 */

const CODE = /^[A-Z]{3,10}$/;

function positive(name, raw, { integer = false } = {}) {
  const n = Number(raw);
  if (raw === undefined || raw === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be a positive ${integer ? "whole number" : "number"} (got ${JSON.stringify(raw ?? null)})`);
  }
  return n;
}

/** Parses the policy vars; throws an Error naming the bad var. */
export function parsePolicy(env) {
  const list = String(env.ALLOWED_CURRENCIES ?? "").split(",").map((c) => c.trim().toUpperCase()).filter(Boolean);
  if (list.length === 0) throw new Error('ALLOWED_CURRENCIES must list at least one currency, e.g. "KES,NGN"');
  for (const c of list) if (!CODE.test(c)) throw new Error(`ALLOWED_CURRENCIES: "${c}" is not a currency code`);
  const currencies = new Set(list);

  const maxAmount = new Map();
  for (const part of String(env.MAX_AMOUNT ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [cur, amount, extra] = part.split(":");
    const code = (cur ?? "").trim().toUpperCase();
    if (extra !== undefined || !CODE.test(code)) throw new Error(`MAX_AMOUNT: "${part}" is not CURRENCY:AMOUNT`);
    if (!currencies.has(code)) throw new Error(`MAX_AMOUNT: ${code} is not in ALLOWED_CURRENCIES`);
    maxAmount.set(code, positive(`MAX_AMOUNT for ${code}`, amount?.trim()));
  }
  for (const c of currencies) {
    if (!maxAmount.has(c)) throw new Error(`MAX_AMOUNT has no limit for ${c} (every allowed currency needs one)`);
  }
  const maxOpenClaims = positive("MAX_OPEN_CLAIMS", env.MAX_OPEN_CLAIMS, { integer: true });
  const dailyUsdCap = env.DAILY_USD_CAP === undefined || env.DAILY_USD_CAP === "" ? null : positive("DAILY_USD_CAP", env.DAILY_USD_CAP);
  return { currencies, maxAmount, maxOpenClaims, dailyUsdCap };
}

/** A JSON view of the policy for /status. */
export function describePolicy(p) {
  return {
    currencies: [...p.currencies],
    maxAmount: Object.fromEntries(p.maxAmount),
    maxOpenClaims: p.maxOpenClaims,
    dailyUsdCap: p.dailyUsdCap,
  };
}

/**
 * Decides whether to claim `order` given the current usage.
 * @returns {string | null} null to claim, otherwise why not.
 */
export function refusal(p, order, { openClaims, usdToday }) {
  if (!p.currencies.has(order.currency)) return "currency not allowed";
  if (!(order.amount_fiat <= p.maxAmount.get(order.currency))) return "amount over the limit";
  if (openClaims >= p.maxOpenClaims) return "collateral limit: too many open claims";
  if (p.dailyUsdCap !== null && usdToday + (order.amount_usd || 0) > p.dailyUsdCap) return "daily USD cap reached";
  return null;
}
