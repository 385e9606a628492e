// LpBot: a Durable Object that holds one LpClient socket, claims orders by policy over
// HTTP, and journals every claim in its storage so a restart never loses an order it
// owns and never claims one twice.
//
// Journal entry states: pending (written before the claim is sent) → claimed | lost |
// failed | released (reconciled: the claim never landed) ; claimed → fiat_sent → completed.
import { DurableObject } from "cloudflare:workers";
import { LpClient } from "rampwire-lp";
import { parsePolicy, describePolicy, refusal } from "./policy.mjs";

const OPEN_STATES = new Set(["pending", "claimed", "fiat_sent"]);
const SPENT_STATES = new Set(["pending", "claimed", "fiat_sent", "completed"]);
const FINAL_STATES = new Set(["lost", "failed", "released", "completed"]);
/** Journal entries kept; the oldest final ones go first. */
const JOURNAL_LIMIT = 5000;
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const key = (id) => `claim:${String(id).padStart(16, "0")}`;

function numberVar(env, name, fallback) {
  const n = Number(env[name]);
  return env[name] === undefined || env[name] === "" || !Number.isFinite(n) || n <= 0 ? fallback : n;
}

export class LpBot extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.client = null;
    this.offs = [];
    this.paused = false;
    this.lastError = null;
    this.policy = null;
    this.setupError = null;
    /** id → journal entry (mirror of storage) */
    this.journal = new Map();
    /** ids whose claim request runs in this instance right now */
    this.inFlight = new Set();
    this.watchdogMs = numberVar(env, "WATCHDOG_MS", 30_000);
    this.requestTimeoutMs = numberVar(env, "REQUEST_TIMEOUT_MS", 10_000);
    try {
      this.policy = parsePolicy(env);
    } catch (e) {
      this.setupError = `invalid policy: ${e.message}`;
    }
    if (!this.setupError && !env.LP_KEY) this.setupError = "the LP_KEY secret is not set";
    if (!this.setupError && !env.API_URL) this.setupError = "API_URL is not set";
    ctx.blockConcurrencyWhile(async () => {
      this.paused = (await ctx.storage.get("paused")) === true;
      for (const [, entry] of await ctx.storage.list({ prefix: "claim:" })) this.journal.set(entry.id, entry);
    });
  }

  // ---- lifecycle ---------------------------------------------------------------------

  /** Starts the client unless it runs, the bot is paused, or its config is invalid. */
  ensureStarted() {
    // One start at a time: concurrent requests share it.
    this.starting ??= this.start().finally(() => (this.starting = null));
    return this.starting;
  }

  async start() {
    if (this.setupError || this.paused) return;
    // Arm the watchdog only if it is not armed: re-arming on every request would postpone
    // it forever under frequent polling.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + this.watchdogMs);
    if (this.client && !["failed", "closed"].includes(this.client.state)) return;
    this.stopClient();
    const client = new LpClient({
      apiUrl: this.env.API_URL,
      lpKey: this.env.LP_KEY,
      currencies: [...this.policy.currencies],
      heartbeatMs: numberVar(this.env, "HEARTBEAT_MS", 30_000),
      backoffMaxMs: numberVar(this.env, "BACKOFF_MAX_MS", 30_000),
      requestTimeoutMs: this.requestTimeoutMs,
    });
    this.client = client;
    this.offs = [
      client.on("init", (i) => i.orders.forEach((o) => this.consider(o))),
      client.on("order", (o) => this.consider(o)),
      client.on("error", (e) => this.noteError(e)),
      client.on("state", (s) => s.reason && this.noteError(s.reason)),
    ];
    try {
      await client.connect();
      await this.reconcile();
    } catch (e) {
      this.noteError(e);
    }
  }

  stopClient() {
    for (const off of this.offs) off();
    this.offs = [];
    if (this.client) {
      this.client.close();
      this.client.free();
      this.client = null;
    }
  }

  /** The watchdog: restarts a dead client, reconciles, follows payouts, prunes the journal. */
  async alarm() {
    if (!this.setupError && !this.paused) await this.ctx.storage.setAlarm(Date.now() + this.watchdogMs);
    await this.ensureStarted();
    if (this.client?.state === "live") {
      await this.reconcile();
      await this.followPayouts();
    }
    await this.prune();
  }

  /** RPC for the Worker's cron trigger. */
  async kick() {
    await this.ensureStarted();
    return this.status();
  }

  noteError(e) {
    this.lastError = { kind: e.kind ?? "error", message: String(e.message ?? e), at: new Date().toISOString() };
  }

  // ---- claiming ------------------------------------------------------------------------

  usage() {
    const today = day(Date.now());
    let openClaims = 0;
    let usdToday = 0;
    for (const e of this.journal.values()) {
      if (OPEN_STATES.has(e.state)) openClaims++;
      if (SPENT_STATES.has(e.state) && day(e.at) === today) usdToday += e.amount_usd || 0;
    }
    return { openClaims, usdToday: Math.round(usdToday * 100) / 100 };
  }

  /** Called for every order seen: claims it if the policy allows. Synchronous up to the reservation. */
  consider(order) {
    if (this.paused || !this.policy || this.journal.has(order.id) && this.journal.get(order.id).state !== "released") return;
    if (refusal(this.policy, order, this.usage()) !== null) return;
    const entry = { id: order.id, state: "pending", at: Date.now(), currency: order.currency, amount_fiat: order.amount_fiat, amount_usd: order.amount_usd };
    this.journal.set(order.id, entry); // reserved before any await: limits hold under bursts
    this.ctx.waitUntil(this.claim(entry));
  }

  async save(entry) {
    this.journal.set(entry.id, entry);
    await this.ctx.storage.put(key(entry.id), entry);
  }

  async claim(entry) {
    this.inFlight.add(entry.id);
    try {
      await this.save(entry); // journaled before the request goes out
      const result = await this.client.claim(entry.id);
      if (result.status === "claimed") {
        await this.save({ ...entry, state: "claimed", claimedAt: Date.now() });
      } else {
        await this.save({ ...entry, state: "lost" });
      }
    } catch (e) {
      this.noteError(e);
      // timeout: the client could not settle it; the watchdog reconciles. Anything else is a definite no.
      if (e.kind !== "timeout" && e.kind !== "network") await this.save({ ...entry, state: "failed", error: e.kind });
    } finally {
      this.inFlight.delete(entry.id);
    }
  }

  /** Settles pending entries that no request of this instance is waiting for. */
  async reconcile() {
    const me = this.client?.lpId;
    if (me === undefined) return;
    for (const entry of [...this.journal.values()]) {
      if (entry.state !== "pending" || this.inFlight.has(entry.id)) continue;
      let order;
      try {
        order = await this.client.getOrder(entry.id);
      } catch (e) {
        if (e.kind === "not_found") await this.save({ ...entry, state: "lost" });
        else this.noteError(e);
        continue;
      }
      if (order.lp_id === me) {
        await this.save({ ...entry, state: order.status === "fiat_sent" ? "fiat_sent" : order.status === "completed" ? "completed" : "claimed", reconciled: true });
      } else if (order.status === "open") {
        // Our request never landed. Wait out a request that might still be travelling.
        if (Date.now() - entry.at > 2 * this.requestTimeoutMs) {
          await this.save({ ...entry, state: "released", reconciled: true });
          const again = this.client.openOrders().find((o) => o.id === entry.id);
          if (again) this.consider(again);
        }
      } else {
        await this.save({ ...entry, state: "lost", reconciled: true });
      }
    }
  }

  /** fiat_sent → completed, so collateral frees up. */
  async followPayouts() {
    for (const entry of [...this.journal.values()]) {
      if (entry.state !== "fiat_sent") continue;
      try {
        const o = await this.client.getOrder(entry.id);
        if (o.status === "completed") await this.save({ ...entry, state: "completed" });
      } catch (e) {
        this.noteError(e);
      }
    }
  }

  async prune() {
    const weekAgo = Date.now() - 7 * 86_400_000;
    const finals = [...this.journal.values()].filter((e) => FINAL_STATES.has(e.state)).sort((a, b) => a.at - b.at);
    let excess = this.journal.size - JOURNAL_LIMIT;
    for (const e of finals) {
      if (e.at >= weekAgo && excess <= 0) break;
      this.journal.delete(e.id);
      await this.ctx.storage.delete(key(e.id));
      excess--;
    }
  }

  // ---- operator API ----------------------------------------------------------------------

  status() {
    const { openClaims, usdToday } = this.usage();
    const counts = {};
    for (const e of this.journal.values()) counts[e.state] = (counts[e.state] ?? 0) + 1;
    return {
      state: this.setupError ? "stopped" : this.paused ? "paused" : this.client?.state ?? "idle",
      paused: this.paused,
      setupError: this.setupError,
      policy: this.policy ? describePolicy(this.policy) : null,
      lpId: this.client?.lpId ?? null,
      bookSize: this.client ? this.client.openOrders().length : 0,
      openClaims,
      daily: { date: day(Date.now()), usd: usdToday, cap: this.policy?.dailyUsdCap ?? null },
      journal: counts,
      lastError: this.lastError,
    };
  }

  async claims() {
    const entries = [...this.journal.values()].sort((a, b) => b.at - a.at).slice(0, 100);
    return Promise.all(entries.map(async (e) => {
      if (!this.client || !["claimed", "fiat_sent"].includes(e.state)) return e;
      try {
        const o = await this.client.getOrder(e.id);
        return { ...e, orderStatus: o.status, payee: o.payee ?? null, lp_receive_address: o.lp_receive_address ?? null };
      } catch (err) {
        return { ...e, payeeError: err.message };
      }
    }));
  }

  async fiatSent(id) {
    const entry = this.journal.get(id);
    if (!entry || !["claimed", "fiat_sent"].includes(entry.state)) {
      return Response.json({ error: `order ${id} is not a claim of this bot` }, { status: 404 });
    }
    if (!this.client) return Response.json({ error: "the bot is not running" }, { status: 503 });
    try {
      const order = await this.client.fiatSent(id);
      await this.save({ ...entry, state: order.status === "completed" ? "completed" : "fiat_sent", fiatSentAt: Date.now() });
      return Response.json(order);
    } catch (e) {
      return Response.json({ error: e.kind, message: e.message }, { status: e.status === 409 ? 409 : 502 });
    }
  }

  async fetch(request) {
    if (!this.env.OPERATOR_TOKEN) return Response.json({ error: "the OPERATOR_TOKEN secret is not set" }, { status: 503 });
    if (!(await tokenMatches(request, this.env.OPERATOR_TOKEN))) {
      return Response.json({ error: "unauthorized" }, { status: 401, headers: { "www-authenticate": "Bearer" } });
    }
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    if (route !== "POST /pause") await this.ensureStarted();
    if (route === "GET /status") return Response.json(this.status());
    if (route === "GET /claims") return Response.json(await this.claims());
    if (route === "POST /pause") {
      this.paused = true;
      await this.ctx.storage.put("paused", true);
      this.stopClient();
      return Response.json(this.status());
    }
    if (route === "POST /resume") {
      this.paused = false;
      await this.ctx.storage.put("paused", false);
      await this.ensureStarted();
      return Response.json(this.status());
    }
    const m = /^POST \/claims\/(\d{1,15})\/fiat-sent$/.exec(route);
    if (m) return this.fiatSent(Number(m[1]));
    return Response.json({ error: "not found" }, { status: 404 });
  }
}

/** Bearer token check in constant time (both sides hashed to equal length first). */
async function tokenMatches(request, expected) {
  const got = (request.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(got)),
    crypto.subtle.digest("SHA-256", enc.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
