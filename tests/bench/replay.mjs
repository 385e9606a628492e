// Replay speed (issue 21): a generated recording of N orders run through one policy by the
// package's `BotReplay` in Node (fed in 1 MiB pieces, as `rampwire-lp replay` reads a
// file), and natively by the engine's ignored `replay_speed` test in release. The
// generator is the one of src/bot/tests/replay_tests.rs (`generated`): orders 500 ms
// apart, KES and NGN, 40% taken over the socket, 30% claimed by HTTP claimers (state
// lines), 10% expiring, the rest left open.
import { execFileSync } from "node:child_process";

const START = 1_767_225_600_000;

/** A deterministic recording of `n` orders (the Rust test's generator, line for line). */
export function generated(n) {
  const lines = [JSON.stringify({ rampwire_recording: 1, source: "test", started_at: START, complete_states: true })];
  let x = 0x9e3779b97f4a7c15n;
  const M = (1n << 64n) - 1n;
  const next = () => {
    x ^= (x << 13n) & M;
    x ^= x >> 7n;
    x ^= (x << 17n) & M;
    return x;
  };
  // Closing lines due later, kept sorted by (time, id) as the Rust BTreeMap is.
  const due = [];
  const flush = (t) => {
    due.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    while (due.length && due[0][0] <= t) lines.push(due.shift()[2]);
  };
  for (let i = 0; i < n; i++) {
    const t = START + i * 500;
    if (due.length && due.some((d) => d[0] <= t)) flush(t);
    const id = 10_000 + i;
    const r = next();
    const [currency, rate] = r % 3n === 0n ? ["NGN", 1500] : ["KES", 130];
    const usd = Number((r >> 8n) % 20_000n) / 100 + 1;
    const fiat = Math.round(usd * rate * 100) / 100;
    lines.push(JSON.stringify({ t, frame: { type: "new_order", order: { id, amount_fiat: fiat, currency, amount_usd: usd, crypto_symbol: "usdt", crypto_chain: "trx", status: "open", created_at: "2026-01-01T00:00:00Z" } } }));
    const delay = 100 + Number((r >> 24n) % 4_000n);
    const kind = Number((r >> 40n) % 10n);
    if (kind <= 3) due.push([t + delay, id, JSON.stringify({ t: t + delay, frame: { type: "order_taken", order_id: id } })]);
    else if (kind <= 6) due.push([t + delay, id, JSON.stringify({ t: t + delay, state: { id, status: "claimed", lp_id: 90 + Number((r >> 50n) % 3n) } })]);
    else if (kind === 7) due.push([t + 60_000, id, JSON.stringify({ t: t + 60_000, state: { id, status: "expired" } })]);
  }
  flush(Infinity);
  return lines.join("\n") + "\n";
}

const POLICY = "ALLOWED_CURRENCIES=KES\nMAX_AMOUNT=KES:20000\nMAX_OPEN_CLAIMS=3\n";
const CHUNK = 1 << 20;

/**
 * Node through the package: for each size, the best of `runs` replays (construct, push in
 * 1 MiB pieces, finish). Returns rows `{ orders, bytes, ms, perSecond }`.
 */
export function nodeReplay(BotReplay, sizes = [25_000, 50_000, 100_000, 200_000], runs = 3) {
  const rows = [];
  for (const n of sizes) {
    const text = generated(n);
    let best = Infinity;
    let seen = 0;
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      const r = new BotReplay(JSON.stringify([{ name: "a", settings: POLICY }]), "{}");
      for (let i = 0; i < text.length; i += CHUNK) r.push(text.slice(i, i + CHUNK));
      const report = JSON.parse(r.finish(true));
      r.free();
      best = Math.min(best, performance.now() - t0);
      seen = report.policies[0].orders_seen;
    }
    if (seen !== n) throw new Error(`replay saw ${seen} of ${n} orders`);
    rows.push({ orders: n, bytes: Buffer.byteLength(text), ms: best, perSecond: n / (best / 1000) });
  }
  return rows;
}

/**
 * Natively: the engine's ignored `replay_speed` test in release (its table's rows).
 * Returns rows `{ orders, bytes, ms, perSecond }`.
 */
export function nativeReplay(ROOT) {
  const text = execFileSync("cargo", ["test", "--quiet", "--release", "-p", "rampwire-lp-bot", "--lib", "--", "--ignored", "--nocapture", "--exact", "tests::replay_tests::replay_speed"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return [...text.matchAll(/^\| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$/gm)].map((m) => ({ orders: +m[1], bytes: +m[2], ms: +m[3], perSecond: +m[4] }));
}
