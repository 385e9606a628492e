// One bot's metrics: counters and latency histograms, in memory (they restart at zero with
// the object, as Prometheus counters may), served in the Prometheus text format, and each
// event also written to Workers Analytics Engine when the bot's binding is configured.

/** Histogram bucket bounds (ms). */
export const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
/** Latency samples kept for the quantiles. */
const SAMPLES = 1024;

/** The counters, their help texts. */
export const COUNTERS = {
  orders_seen: "Distinct orders seen on the socket (or in a snapshot).",
  orders_matched: "Orders the policy chose (claims, or would-claims in a dry run).",
  claims_sent: "Claim requests sent (attempts).",
  claims_won: "Claims won: fiat is due.",
  claims_lost: "Claims lost to another LP.",
  claims_failed: "Claim attempts that failed (outcome then looked up).",
  reconciled: "State changes learned by a lookup (reconciliation).",
  fiat_sent: "Fiat-sent confirmed by the server.",
  completed: "Claims completed.",
  journal_writes: "Journal writes and deletes (Durable Object storage rows written).",
  alerts_sent: "Alert webhooks delivered.",
  alerts_failed: "Alert webhooks given up after every retry.",
};

/** A latency histogram with its recent samples (for p50/p99). */
class Histogram {
  constructor() {
    this.counts = new Array(BUCKETS_MS.length + 1).fill(0);
    this.sum = 0;
    this.count = 0;
    this.recent = [];
  }

  observe(ms) {
    if (!Number.isFinite(ms) || ms < 0) return;
    let i = BUCKETS_MS.findIndex((b) => ms <= b);
    if (i === -1) i = BUCKETS_MS.length;
    this.counts[i]++;
    this.sum += ms;
    this.count++;
    this.recent.push(ms);
    if (this.recent.length > SAMPLES) this.recent.shift();
  }

  /** The `q` quantile of the recent samples (nearest rank), or null without any. */
  quantile(q) {
    if (this.recent.length === 0) return null;
    const s = [...this.recent].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  }

  /** `{ last, p50, p99, samples }`. */
  summary() {
    return { last: this.recent.at(-1) ?? null, p50: this.quantile(0.5), p99: this.quantile(0.99), samples: this.count };
  }
}

export class BotMetrics {
  /**
   * @param {{ bot: string, analytics?: { writeDataPoint(p: object): void }, log?: (line: object) => void }} o
   *   `analytics`: an Analytics Engine dataset binding (optional).
   */
  constructor({ bot, analytics = null, log = () => {} }) {
    this.bot = bot;
    this.analytics = analytics;
    this.log = log;
    this.counters = Object.fromEntries(Object.keys(COUNTERS).map((k) => [k, 0]));
    this.discovery = new Histogram();
    this.rtt = new Histogram();
    this.analyticsFailed = false;
  }

  /** Counts `name` (one of COUNTERS) and writes the event to Analytics Engine. */
  count(name, detail = "", value = 0) {
    this.counters[name]++;
    this.write(name, detail, value);
  }

  /** Discovery (order received) to claim sent, ms. */
  discoveryMs(ms) {
    this.discovery.observe(ms);
  }

  /** A claim's round trip, ms. */
  rttMs(ms) {
    this.rtt.observe(ms);
    this.write("claim_rtt", "", ms);
  }

  write(event, detail, value) {
    if (this.analytics === null) return;
    try {
      // blob1 bot, blob2 event, blob3 detail; double1 value (ms where it is a latency).
      this.analytics.writeDataPoint({ indexes: [this.bot], blobs: [this.bot, event, String(detail)], doubles: [Number(value) || 0] });
    } catch (e) {
      if (!this.analyticsFailed) this.log({ level: "warn", event: "analytics_failed", message: String(e?.message ?? e) });
      this.analyticsFailed = true;
    }
  }

  /** The Prometheus text exposition (version 0.0.4); `gauges` adds the bot's state now. */
  prometheus(gauges = {}) {
    const label = `bot="${this.bot.replace(/["\\\n]/g, "_")}"`;
    const out = [];
    for (const [k, help] of Object.entries(COUNTERS)) {
      out.push(`# HELP rampwire_bot_${k}_total ${help}`, `# TYPE rampwire_bot_${k}_total counter`, `rampwire_bot_${k}_total{${label}} ${this.counters[k]}`);
    }
    for (const [name, h, help] of [
      ["discovery_to_claim_ms", this.discovery, "From an order's arrival to its claim being sent, ms."],
      ["claim_rtt_ms", this.rtt, "A claim request's round trip, ms."],
    ]) {
      out.push(`# HELP rampwire_bot_${name} ${help}`, `# TYPE rampwire_bot_${name} histogram`);
      let acc = 0;
      BUCKETS_MS.forEach((b, i) => {
        acc += h.counts[i];
        out.push(`rampwire_bot_${name}_bucket{${label},le="${b}"} ${acc}`);
      });
      out.push(`rampwire_bot_${name}_bucket{${label},le="+Inf"} ${h.count}`, `rampwire_bot_${name}_sum{${label}} ${h.sum}`, `rampwire_bot_${name}_count{${label}} ${h.count}`);
      out.push(`# HELP rampwire_bot_${name}_quantile The p50 and p99 of the last ${SAMPLES} samples, ms.`, `# TYPE rampwire_bot_${name}_quantile gauge`);
      for (const q of [0.5, 0.99]) {
        const v = h.quantile(q);
        if (v !== null) out.push(`rampwire_bot_${name}_quantile{${label},quantile="${q}"} ${v}`);
      }
    }
    for (const [k, v] of Object.entries(gauges)) {
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      out.push(`# TYPE rampwire_bot_${k} gauge`, `rampwire_bot_${k}{${label}} ${v}`);
    }
    return out.join("\n") + "\n";
  }
}
