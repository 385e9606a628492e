// A recorded-style frame mix for benchmarks, deterministic: new_order (some with fields
// this client does not know), order_taken for recent orders, pong.

const CURRENCIES = [["KES", 129], ["NGN", 1540], ["GHS", 15.4], ["UGX", 3720], ["TZS", 2650], ["ZAR", 18.2]];
const ASSETS = [["usdt", "trx"], ["usdt", "bsc"], ["usdc", "base"], ["usdc", "sol"], ["xrp", "xrpl"]];

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
}

/** `count` frames: ~70 % new_order, ~20 % order_taken, ~10 % pong. */
export function frameMix(count, seed = 7) {
  const r = rng(seed);
  const frames = new Array(count);
  let id = 100000;
  const t0 = Date.parse("2026-05-03T12:00:00.000Z");
  for (let i = 0; i < count; i++) {
    const x = r();
    if (x < 0.7) {
      const [cur, rate] = CURRENCIES[Math.floor(r() * CURRENCIES.length)];
      const [sym, chain] = ASSETS[Math.floor(r() * ASSETS.length)];
      const usd = Math.round(Math.exp(Math.log(5) + r() * Math.log(100)) * 100) / 100;
      const order = {
        id: ++id,
        amount_fiat: Math.round(usd * rate / 10) * 10,
        currency: cur,
        amount_usd: usd,
        crypto_symbol: sym,
        crypto_chain: chain,
        status: "open",
        created_at: new Date(t0 + i * 37).toISOString(),
      };
      if (r() < 0.2) Object.assign(order, { fee_bps: 30, region: "east", tags: ["fast"] });
      frames[i] = JSON.stringify({ type: "new_order", order });
    } else if (x < 0.9) {
      frames[i] = JSON.stringify({ type: "order_taken", order_id: id - Math.floor(r() * 50) });
    } else {
      frames[i] = JSON.stringify({ type: "pong", ts: 1746275096123 + i });
    }
  }
  return frames;
}

/** The auto-claim policy of the spec's example bot (KES only, below 20 000). */
export const POLICY = { currency: "KES", maxFiat: 20000 };
