// LpBot: the edge bot, a Durable Object that runs the bot engine (src/bot/, in wasm as
// BotEngine) with one LpClient socket, its journal in the object's storage. The engine
// decides everything (policy, journal, reconciliation); this file carries its actions out
// on Workers: storage writes (durable before any later action: Durable Objects hold
// outgoing requests until writes are confirmed, and we await each), the claim and lookup
// requests, an alarm as the watchdog (outbound sockets cannot hibernate, and deploys or
// evictions reset the object), JSON log lines for Workers Logs, and the operator API.
import { DurableObject } from "cloudflare:workers";
import { LpClient, BotEngine } from "rampwire-lp/bot";
import { BotDriver } from "rampwire-lp/driver";

/** Storage keys: entries by zero-padded id (listed in id order), mode records by seq. */
const ENTRY = "e:";
const MODE = "m:";
const entryKey = (id) => `${ENTRY}${String(id).padStart(16, "0")}`;
const modeKey = (seq) => `${MODE}${String(seq).padStart(12, "0")}`;
/** Entries per page of `GET /claims`. */
const PAGE = 100;

/** The settings text from the environment: the engine's setting names only (secrets never). */
function settingsFrom(env) {
  return BotEngine.settingKeys()
    .filter((k) => typeof env[k] === "string" && env[k] !== "")
    .map((k) => `${k}=${String(env[k]).replace(/[\r\n]/g, " ")}`)
    .join("\n");
}

/** A one-line JSON log (Workers Logs, `wrangler tail`); never holds the key. */
function log(line) {
  const level = line.level === "error" ? "error" : line.level === "warn" ? "warn" : "log";
  console[level](JSON.stringify({ t: new Date().toISOString(), ...line }));
}

export class LpBot extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.setupError = null;
    const settings = settingsFrom(env);
    const bad = BotEngine.checkSettings(settings);
    if (bad !== undefined) this.setupError = JSON.parse(bad).message ?? bad;
    else if (!env.LP_KEY) this.setupError = "the LP_KEY secret is not set (wrangler secret put LP_KEY)";
    this.driver = new BotDriver({
      LpClient,
      BotEngine,
      settings,
      lpKey: env.LP_KEY ?? "",
      store: this.store(),
      log,
      notify: (notice) => log({ level: notice.kind === "stopped" ? "error" : "info", event: "notice", ...notice }),
    });
    this.watchdogMs = this.driver.engine.watchdogMs();
    // Memory is lost on every reset: load the journal and start before any request.
    this.started = this.setupError === null ? this.driver.start() : Promise.resolve();
    ctx.blockConcurrencyWhile(() => this.started.then(() => this.armWatchdog()));
  }

  /** The journal store over Durable Object storage. */
  store() {
    const s = this.ctx.storage;
    return {
      load: async () => ({
        entries: [...(await s.list({ prefix: ENTRY })).values()],
        modes: [...(await s.list({ prefix: MODE })).values()],
      }),
      put: (entry) => s.put(entryKey(entry.id), entry),
      putMode: (record) => s.put(modeKey(record.seq), record),
      forget: (id) => s.delete(entryKey(id)),
      forgetMode: (seq) => s.delete(modeKey(seq)),
    };
  }

  /** The alarm keeps the bot running across evictions; armed only if not armed already. */
  async armWatchdog() {
    if (this.setupError !== null) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + this.watchdogMs);
  }

  async alarm() {
    await this.started;
    await this.driver.tick();
    await this.ctx.storage.setAlarm(Date.now() + this.watchdogMs);
  }

  /** RPC for the Worker's cron trigger: wakes the object (and so the bot) after a reset. */
  async kick() {
    await this.started;
    await this.armWatchdog();
    return this.status();
  }

  status() {
    if (this.setupError !== null) return { state: "stopped", setupError: this.setupError };
    try {
      return { ...this.driver.status(), setupError: null };
    } catch (e) {
      return { state: "error", setupError: String(e?.message ?? e) };
    }
  }

  /** `GET /claims?state=&since=&cursor=&limit=&format=csv`: the journal, oldest id first. */
  async claims(url) {
    const state = url.searchParams.get("state");
    const since = Number(url.searchParams.get("since") ?? 0);
    const cursor = url.searchParams.get("cursor");
    const limit = Math.min(Math.max(Number(url.searchParams.get("limit") ?? PAGE) || PAGE, 1), 1000);
    const page = [];
    let next = null;
    const opts = { prefix: ENTRY, limit: 1000 };
    if (cursor !== null) opts.startAfter = entryKey(Number(cursor));
    for (;;) {
      const batch = await this.ctx.storage.list(opts);
      for (const [key, e] of batch) {
        opts.startAfter = key;
        if ((state && e.state !== state) || (since && (e.updated_at ?? 0) < since)) continue;
        page.push(e);
        if (page.length === limit) {
          next = String(e.id);
          break;
        }
      }
      if (next !== null || batch.size < opts.limit) break;
    }
    if (url.searchParams.get("format") === "csv") {
      const cols = ["id", "mode", "state", "currency", "amount_fiat", "amount_usd", "seen_at", "claim_started_at", "updated_at", "final_at", "owner", "error"];
      const cell = (v) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(typeof v === "object" ? JSON.stringify(v) : v));
      const body = [cols.join(","), ...page.map((e) => cols.map((c) => cell(e[c])).join(","))].join("\n") + "\n";
      return new Response(body, { headers: { "content-type": "text/csv", ...(next ? { "x-next-cursor": next } : {}) } });
    }
    return Response.json({ entries: page, next });
  }

  async fetch(request) {
    if (!this.env.OPERATOR_TOKEN) return Response.json({ error: "the OPERATOR_TOKEN secret is not set" }, { status: 503 });
    if (!(await tokenMatches(request, this.env.OPERATOR_TOKEN))) {
      return Response.json({ error: "unauthorized" }, { status: 401, headers: { "www-authenticate": "Bearer" } });
    }
    await this.started;
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    if (route === "GET /status") return Response.json(this.status());
    if (route === "GET /summary") return Response.json(this.setupError === null ? this.driver.summary() : this.status());
    if (route === "GET /claims") return this.claims(url);
    const commands = { "POST /pause": "pause", "POST /resume": "resume", "POST /go-live": "go_live", "POST /go-dry-run": "go_dry_run" };
    if (route in commands && this.setupError === null) {
      await this.driver.command(commands[route]);
      return Response.json(this.status());
    }
    const m = /^POST \/claims\/(\d{1,15})\/(fiat-sent|release)$/.exec(route);
    if (m && this.setupError === null) {
      await this.driver.command(m[2] === "fiat-sent" ? "fiat_sent" : "release", Number(m[1]));
      return Response.json(this.status());
    }
    if (this.setupError !== null && (route in commands || m)) return Response.json(this.status(), { status: 409 });
    return Response.json({ error: "not found" }, { status: 404 });
  }
}

/** `Authorization: Bearer <token>` (the scheme required), compared in constant time. */
async function tokenMatches(request, expected) {
  const m = /^Bearer ([^\s]+)$/.exec(request.headers.get("authorization") ?? "");
  if (m === null) return false;
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(m[1])),
    crypto.subtle.digest("SHA-256", enc.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
