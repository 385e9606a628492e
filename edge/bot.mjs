// LpBot: one bot of the fleet, a Durable Object that runs the bot engine (src/bot/, in
// wasm as BotEngine) with one LpClient socket, its journal in the object's storage. The
// engine decides everything (policy, journal, reconciliation); this file carries its
// actions out on Workers: storage writes (durable before any later action: Durable
// Objects hold outgoing requests until writes are confirmed, and we await each), the claim
// and lookup requests, an alarm as the watchdog (outbound sockets cannot hibernate, and
// deploys or evictions reset the object), and the bot's operator API. What the edge adds
// (log lines, metrics, alerts) is read off the engine's inputs and actions (tap.mjs).
//
// A bot is its config (config.mjs: the name of its key's secret binding, its policy),
// stored in the object, so after any reset the object starts the bot again by itself.
import { DurableObject } from "cloudflare:workers";
import { LpClient, BotEngine, RecordingWriter } from "rampwire-lp/bot";
import { BotDriver } from "rampwire-lp/driver";
import { refusal } from "./auth.mjs";
import { ConfigError, DEFAULT_BOT, MAX_CONFIG_BYTES, defaultConfig, edgeSettings, parseConfig, settingsText } from "./config.mjs";
import { makeLogger } from "./log.mjs";
import { BotMetrics } from "./metrics.mjs";
import { Alerts } from "./alerts.mjs";
import { BotTap } from "./tap.mjs";
import { ENTRY, entryKey, claimsPage } from "./history.mjs";
import { locate } from "./placement.mjs";
import { EdgeRecording } from "./recording.mjs";

/** Storage keys: mode records by seq, and the bot's config. */
const MODE = "m:";
const modeKey = (seq) => `${MODE}${String(seq).padStart(12, "0")}`;
const CONFIG = "config";
/** The setup error last alerted. */
const ALERTED_SETUP = "alerted_setup";
/** How long a reconfiguration or removal waits for requests under way. */
const DRAIN_MS = 3000;
/** The header the Worker names the bot in (the object serves one bot). */
export const BOT_HEADER = "x-lp-bot";

/** The bot driver, with the edge's tap on every input and action. */
class TappedDriver extends BotDriver {
  constructor(options, tap) {
    super(options);
    this.tap = tap;
  }

  enqueue(make) {
    return super.enqueue(async () => {
      const input = typeof make === "function" ? await make() : make;
      if (input !== undefined) this.tap.input(input);
      return input;
    });
  }

  act(a) {
    this.tap.action(a);
    return super.act(a);
  }

  async carryOut(json) {
    await super.carryOut(json);
    this.tap.settled();
  }
}

export class LpBot extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    /** The running bot, or null before its config is known. */
    this.bot = null;
    this.placement = { colo: "unknown", source: "not asked yet" };
    // Memory is lost on every reset: the stored config starts the bot before any request.
    ctx.blockConcurrencyWhile(async () => {
      const config = await ctx.storage.get(CONFIG);
      if (config !== undefined) await this.boot(config);
    });
  }

  /** Starts the bot of `config`: its log, metrics, alerts, then the engine on the journal. */
  async boot(config) {
    const env = this.env;
    const edge = edgeSettings(config, env);
    const key = env[config.key_secret];
    const log = makeLogger({ bot: config.name, level: edge.LOG_LEVEL, secrets: [key, env.OPERATOR_TOKEN, env.ALERT_WEBHOOK_URL, env.ALERT_WEBHOOK_SECRET] });
    const metrics = new BotMetrics({ bot: config.name, analytics: env.BOT_ANALYTICS ?? null, log });
    const alerts = new Alerts({ bot: config.name, env, log, retryMs: edge.ALERT_RETRY_MS, maxAttempts: edge.ALERT_MAX_ATTEMPTS, onDelivered: (ok) => metrics.count(ok ? "alerts_sent" : "alerts_failed") });
    const settings = settingsText(config, env, BotEngine.settingKeys());
    let setupError = null;
    const bad = BotEngine.checkSettings(settings);
    if (bad !== undefined) setupError = JSON.parse(bad).message ?? bad;
    else if (typeof key !== "string" || key === "") setupError = `the ${config.key_secret} secret is not set (wrangler secret put ${config.key_secret})`;
    const bot = { config, log, metrics, alerts, setupError, driver: null, tap: null, recording: null, watchdogMs: 30_000 };
    this.bot = bot;
    if (setupError !== null) {
      log({ level: "error", event: "setup_error", reason: setupError });
      // Alerted once per distinct error, not at every wake-up of the object.
      if ((await this.ctx.storage.get(ALERTED_SETUP)) !== setupError) {
        alerts.send("stopped", { reason: setupError, setting: true });
        await this.ctx.storage.put(ALERTED_SETUP, setupError);
      }
      return;
    }
    // RECORD_MAX_KB > 0: the order stream it sees, for `rampwire-lp replay` (GET /recording).
    let recording = null;
    if (edge.RECORD_MAX_KB > 0) {
      recording = new EdgeRecording({ storage: this.ctx.storage, RecordingWriter, maxBytes: edge.RECORD_MAX_KB * 1024, secrets: [key] });
      await recording.load();
    }
    bot.recording = recording;
    const tap = new BotTap({ metrics, alerts, log, status: () => driver.status(), disconnectedAlertMs: edge.ALERT_DISCONNECTED_MS });
    const driver = new TappedDriver({
      LpClient,
      BotEngine,
      settings,
      lpKey: key,
      store: this.store(),
      log,
      record: recording?.writer ?? null,
      notify: (notice) => log({ level: notice.kind === "stopped" ? "error" : "info", event: "notice", ...notice }),
    }, tap);
    await this.ctx.storage.delete(ALERTED_SETUP);
    bot.driver = driver;
    bot.tap = tap;
    bot.watchdogMs = driver.engine.watchdogMs();
    log({ level: "info", event: "bot_started", key_secret: config.key_secret, location_hint: config.location_hint, policy: config.settings === null ? "[vars]" : "config" });
    this.locate(log);
    await driver.start();
    await this.armWatchdog();
  }

  /** The object's colo, asked once per start (not awaited: it never holds the bot). */
  locate(log) {
    locate(this.env).then((p) => {
      this.placement = p;
      log({ level: "info", event: "placement", colo: p.colo, source: p.source, location_hint: this.bot?.config.location_hint });
    });
  }

  /** Stops the running bot (requests under way report first, up to DRAIN_MS). */
  async shutdown() {
    const bot = this.bot;
    if (bot === null) return;
    this.bot = null;
    bot.tap?.close();
    bot.alerts.close();
    await bot.driver?.drain(DRAIN_MS);
    bot.driver?.stop();
    await bot.recording?.flush();
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

  /**
   * Whether the watchdog must run: a running bot that is neither paused nor stopped, or
   * any bot with claims still open (their reconciliation). The others sleep (no cost).
   */
  wantsAlarm() {
    const d = this.bot?.driver;
    if (!d || d.stopped) return false;
    const s = d.status();
    return s.non_final > 0 || (s.state !== "stopped" && !s.paused);
  }

  /** The alarm keeps the bot running across evictions; armed only if not armed already. */
  async armWatchdog() {
    if (!this.wantsAlarm()) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + this.bot.watchdogMs);
  }

  async alarm() {
    const bot = this.bot;
    if (bot === null || bot.driver === null) return;
    bot.log({ level: "debug", event: "watchdog" });
    await bot.driver.tick();
    bot.tap.checkDisconnected();
    // What the recording gathered since the last alarm is stored (a reset loses no more).
    await bot.recording?.flush();
    if (this.wantsAlarm()) await this.ctx.storage.setAlarm(Date.now() + bot.watchdogMs);
  }

  /** The default bot's config is adopted at its first call (a single-bot setup needs no PUT). */
  async ensure(name) {
    if (this.bot !== null || name !== DEFAULT_BOT) return this.bot !== null;
    await this.ctx.blockConcurrencyWhile(async () => {
      if (this.bot !== null) return;
      const config = defaultConfig(this.env);
      await this.ctx.storage.put(CONFIG, config);
      await this.boot(config);
    });
    return true;
  }

  /** RPC for the Worker's cron trigger: wakes the object (and so the bot) after a reset. */
  async kick(name = DEFAULT_BOT) {
    if (!(await this.ensure(name))) return null;
    await this.armWatchdog();
    return this.brief();
  }

  /** RPC for `GET /bots`: the bot in a line. */
  async brief() {
    const s = this.status();
    return { name: s.bot, state: s.state, connected: s.connected ?? false, mode: s.mode ?? null, open_claims: s.open_claims ?? 0, colo: s.colo, setupError: s.setupError };
  }

  status() {
    const bot = this.bot;
    if (bot === null) return { state: "unconfigured", setupError: "no config: PUT /bots/{name}" };
    const placement = { bot: bot.config.name, location_hint: bot.config.location_hint, colo: this.placement.colo, colo_source: this.placement.source, claim_rtt_ms: bot.metrics.rtt.summary(), discovery_to_claim_ms: bot.metrics.discovery.summary(), recording: bot.recording?.stats() ?? null };
    if (bot.setupError !== null) return { state: "stopped", setupError: bot.setupError, ...placement };
    try {
      return { ...bot.driver.status(), setupError: null, ...placement };
    } catch (e) {
      return { state: "error", setupError: String(e?.message ?? e), ...placement };
    }
  }

  metrics() {
    const s = this.status();
    const gauges = { up: s.state === "stopped" || s.state === "error" ? 0 : 1, connected: s.connected ? 1 : 0, paused: s.paused ? 1 : 0, open_claims: s.open_claims, max_open_claims: s.max_open_claims, non_final: s.non_final, journal_entries: s.journal_entries };
    return new Response(this.bot.metrics.prometheus(gauges), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
  }

  /** `PUT /config` (the Worker's `PUT /bots/{name}`): checks, stores, (re)starts. */
  async configure(name, request) {
    const text = await request.text();
    if (text.length > MAX_CONFIG_BYTES) return Response.json({ error: `the body is over ${MAX_CONFIG_BYTES} bytes` }, { status: 413 });
    let config;
    try {
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ConfigError("the body is not JSON");
      }
      config = parseConfig(name, body, this.env, BotEngine.settingKeys());
      const bad = BotEngine.checkSettings(settingsText(config, this.env, BotEngine.settingKeys()));
      if (bad !== undefined) throw new ConfigError(JSON.parse(bad).message ?? bad);
    } catch (e) {
      if (e instanceof ConfigError) return Response.json({ error: e.message }, { status: 400 });
      throw e;
    }
    const created = this.bot === null;
    await this.ctx.blockConcurrencyWhile(async () => {
      await this.shutdown();
      await this.ctx.storage.put(CONFIG, config);
      await this.boot(config);
    });
    this.bot.log({ level: "info", event: created ? "bot_created" : "bot_reconfigured", key_secret: config.key_secret, location_hint: config.location_hint, settings: Object.keys(config.settings) });
    return Response.json(this.status(), { status: created ? 201 : 200 });
  }

  /** `DELETE /config`: stops the bot and forgets its config (not while claims are open; the journal stays). */
  async remove() {
    const s = this.status();
    if ((s.non_final ?? 0) > 0) return Response.json({ error: `${s.non_final} claims are not final yet: settle them first`, ...s }, { status: 409 });
    await this.ctx.blockConcurrencyWhile(async () => {
      await this.shutdown();
      await this.ctx.storage.delete(CONFIG);
      await this.ctx.storage.deleteAlarm();
    });
    return Response.json({ removed: true });
  }

  async fetch(request) {
    const denied = await refusal(request, this.env);
    if (denied !== null) return denied;
    const name = request.headers.get(BOT_HEADER) ?? DEFAULT_BOT;
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    if (route === "PUT /config") return this.configure(name, request);
    if (!(await this.ensure(name))) return Response.json({ error: `no bot named ${name} (PUT /bots/${name} makes it)` }, { status: 404 });
    if (route === "DELETE /config") return this.remove();
    if (route === "GET /status") return Response.json(this.status());
    if (route === "GET /metrics") return this.metrics();
    const bot = this.bot;
    if (route === "GET /summary") return Response.json(bot.setupError === null ? bot.driver.summary() : this.status());
    if (route === "GET /claims") return claimsPage(this.ctx.storage, url);
    if (route === "GET /recording") {
      return bot.recording !== null ? bot.recording.export() : Response.json({ error: "this bot records nothing: set RECORD_MAX_KB (KiB kept) in its settings" }, { status: 404 });
    }
    const commands = { "POST /pause": "pause", "POST /resume": "resume", "POST /go-live": "go_live", "POST /go-dry-run": "go_dry_run" };
    const m = /^POST \/claims\/(\d{1,15})\/(fiat-sent|release)$/.exec(route);
    if ((route in commands || m) && bot.setupError !== null) return Response.json(this.status(), { status: 409 });
    if (route in commands) {
      await bot.driver.command(commands[route]);
      await this.armWatchdog();
      return Response.json(this.status());
    }
    if (m) {
      await bot.driver.command(m[2] === "fiat-sent" ? "fiat_sent" : "release", Number(m[1]));
      return Response.json(this.status());
    }
    return Response.json({ error: "not found" }, { status: 404 });
  }
}
