// Alerts: a webhook (its URL a secret, ALERT_WEBHOOK_URL) called with a JSON body signed
// with HMAC-SHA256 (ALERT_WEBHOOK_SECRET). Deliveries are queued, never awaited by the bot:
// a slow or failing webhook never holds a claim. One delivery at a time (an outbound
// connection is one of the 6 an invocation shares with the claims), retried with bounded
// exponential backoff, the queue bounded (the oldest alert dropped first, logged).
//
// Verifying (the receiver): header `x-rampwire-signature: t=<unix seconds>,v1=<hex>` where
// hex = HMAC-SHA256(secret, `${t}.${raw body}`); compare in constant time, refuse a t
// older than a few minutes, and dedupe on `x-rampwire-delivery` (the same on retries).

/** Alerts waiting at most (beyond it the oldest is dropped). */
const MAX_QUEUE = 100;
/** One delivery's limit. */
const TIMEOUT_MS = 10_000;
/** Backoff cap. */
const MAX_BACKOFF_MS = 60_000;

/** `t=<unix s>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. */
export async function sign(secret, body, unixSeconds) {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${unixSeconds}.${body}`)));
  return `t=${unixSeconds},v1=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Why the webhook secrets cannot be used, or null when they can (or none is set). */
export function webhookProblem(env) {
  const url = env.ALERT_WEBHOOK_URL;
  if (url === undefined || url === "") return null;
  let u;
  try {
    u = new URL(url);
  } catch {
    return "ALERT_WEBHOOK_URL is not a URL";
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) return "ALERT_WEBHOOK_URL must be https (or http to loopback)";
  if (typeof env.ALERT_WEBHOOK_SECRET !== "string" || env.ALERT_WEBHOOK_SECRET.length < 16) {
    return "ALERT_WEBHOOK_SECRET (at least 16 characters) is not set: alerts are not sent unsigned";
  }
  return null;
}

export class Alerts {
  /**
   * @param {{ bot: string, env: object, log: (line: object) => void, retryMs?: number, maxAttempts?: number,
   *   onDelivered?: (ok: boolean) => void, fetch?: typeof fetch }} o
   */
  constructor({ bot, env, log, retryMs = 1000, maxAttempts = 6, onDelivered = () => {}, fetch: f = (...a) => fetch(...a) }) {
    this.bot = bot;
    this.log = log;
    this.problem = webhookProblem(env);
    this.enabled = this.problem === null && typeof env.ALERT_WEBHOOK_URL === "string" && env.ALERT_WEBHOOK_URL !== "";
    this.url = env.ALERT_WEBHOOK_URL;
    this.secret = env.ALERT_WEBHOOK_SECRET;
    this.retryMs = retryMs;
    this.maxAttempts = maxAttempts;
    this.onDelivered = onDelivered;
    this.fetch = f;
    this.queue = [];
    this.busy = false;
    this.timer = undefined;
    this.closed = false;
    if (this.problem !== null) log({ level: "error", event: "alerts_disabled", reason: this.problem });
  }

  /** Queues alert `type` with `fields`; returns at once. */
  send(type, fields = {}) {
    if (!this.enabled || this.closed) return;
    const delivery = crypto.randomUUID();
    const body = JSON.stringify({ type, bot: this.bot, at: new Date().toISOString(), delivery, ...fields });
    if (this.queue.length >= MAX_QUEUE) {
      const dropped = this.queue.shift();
      this.log({ level: "error", event: "alert_dropped", delivery: dropped.delivery, type: dropped.type, reason: "queue full" });
    }
    this.queue.push({ type, delivery, body, attempts: 0, due: 0 });
    this.pump();
  }

  /** Stops sending (what is queued is dropped: the journal still has every claim). */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue = [];
  }

  pump() {
    if (this.busy || this.closed || this.queue.length === 0) return;
    clearTimeout(this.timer);
    const now = Date.now();
    const next = this.queue.reduce((a, b) => (b.due < a.due ? b : a));
    if (next.due > now) {
      this.timer = setTimeout(() => this.pump(), next.due - now);
      return;
    }
    this.busy = true;
    this.deliver(next).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  async deliver(item) {
    item.attempts++;
    let problem;
    try {
      const signature = await sign(this.secret, item.body, Math.floor(Date.now() / 1000));
      const r = await this.fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-rampwire-signature": signature, "x-rampwire-event": item.type, "x-rampwire-delivery": item.delivery },
        body: item.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await r.body?.cancel();
      if (r.ok) {
        this.queue.splice(this.queue.indexOf(item), 1);
        this.log({ level: "info", event: "alert_sent", type: item.type, delivery: item.delivery, attempts: item.attempts });
        this.onDelivered(true);
        return;
      }
      problem = `HTTP ${r.status}`;
    } catch (e) {
      problem = String(e?.name === "TimeoutError" ? "timed out" : e?.message ?? e).slice(0, 200);
    }
    if (item.attempts >= this.maxAttempts) {
      this.queue.splice(this.queue.indexOf(item), 1);
      this.log({ level: "error", event: "alert_failed", type: item.type, delivery: item.delivery, attempts: item.attempts, reason: problem });
      this.onDelivered(false);
      return;
    }
    const wait = Math.min(MAX_BACKOFF_MS, this.retryMs * 2 ** (item.attempts - 1));
    item.due = Date.now() + wait;
    this.log({ level: "warn", event: "alert_retry", type: item.type, delivery: item.delivery, attempts: item.attempts, reason: problem, retry_in_ms: wait });
  }
}
