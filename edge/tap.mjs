// What the edge reads off the bot engine as it runs: every input the driver hands it and
// every action it asks for pass through here (nothing here decides anything). From them:
// metrics, the state-change log lines, and the alerts (claim won, bot stopped,
// disconnected too long). Kept synchronous and light: it runs before each action.

/** Order ids remembered for "distinct orders seen" and discovery times. */
const RECENT = 4096;

/** The bot's phase as an operator reads it. */
function phaseOf(s) {
  if (s.state === "live" || s.state === "dry_run") return s.connected ? s.state : "disconnected";
  return s.state;
}

export class BotTap {
  /**
   * @param {{ metrics: import("./metrics.mjs").BotMetrics, alerts: import("./alerts.mjs").Alerts, log: (line: object) => void,
   *   status: () => object, disconnectedAlertMs: number }} o
   */
  constructor({ metrics, alerts, log, status, disconnectedAlertMs }) {
    this.metrics = metrics;
    this.alerts = alerts;
    this.log = log;
    this.status = status;
    this.disconnectedAlertMs = disconnectedAlertMs;
    /** order id -> when the driver received it (first sight), oldest first */
    this.seen = new Map();
    this.phase = "starting";
    this.reason = "started";
    this.dirty = false;
    this.disconnectedSince = null;
    this.disconnectAlerted = false;
    this.timer = undefined;
  }

  /** An input, as the driver hands it to the engine. */
  input(i) {
    switch (i.type) {
      case "order":
        if (typeof i.order?.id === "number" && !this.seen.has(i.order.id)) {
          this.seen.set(i.order.id, i.order.received_at ?? Date.now());
          if (this.seen.size > RECENT) this.seen.delete(this.seen.keys().next().value);
          this.metrics.count("orders_seen", i.order.currency ?? "");
        }
        return;
      case "rtt_sample":
        // A lookup's round trip (the dry run's race estimate) is not a claim's.
        if (i.via !== "lookup") this.metrics.rttMs(i.ms);
        return;
      case "disconnected":
        this.reason = i.reason ? `disconnected: ${i.reason}` : "disconnected";
        this.dirty = true;
        return;
      case "connected":
        this.reason = "connected";
        this.dirty = true;
        return;
      case "fatal":
        this.reason = `${i.kind}: ${i.message}`;
        this.dirty = true;
        return;
      case "command":
        this.reason = `command ${i.command}`;
        this.dirty = true;
        return;
      case "load":
        this.reason = "journal loaded";
        this.dirty = true;
        return;
      default:
    }
  }

  /** An action, before the driver carries it out. */
  action(a) {
    switch (a.type) {
      case "claim": {
        const at = this.seen.get(a.id);
        if (at !== undefined) this.metrics.discoveryMs(Math.max(0, Date.now() - at));
        this.metrics.count("claims_sent", "", at === undefined ? 0 : Date.now() - at);
        return;
      }
      case "persist":
      case "persist_mode":
      case "forget":
      case "forget_mode":
        this.metrics.counters.journal_writes++;
        return;
      case "connect":
      case "disconnect":
        this.dirty = true;
        return;
      case "notify":
        this.notice(a.notice);
        return;
      case "log":
        this.logged(a.event, a.fields ?? {});
        return;
      default:
    }
  }

  logged(event, f) {
    switch (event) {
      case "claim_sent":
        if (f.attempt === 1 || f.attempt === undefined) this.metrics.count("orders_matched", f.currency ?? "");
        return;
      case "order_seen":
        if (f.verdict === "would_claim") this.metrics.count("orders_matched", f.currency ?? "");
        return;
      case "claim_outcome":
        if (f.outcome !== "claimed" && f.outcome !== "taken") this.metrics.count("claims_failed", f.outcome ?? "", f.latency_ms ?? 0);
        return;
      case "reconciled":
        this.metrics.count("reconciled", `${f.from}->${f.to}`);
        return;
      case "settled":
      case "gone":
        if (f.to === "lost") this.metrics.count("claims_lost", "", 0);
        if (f.from === "pending" || f.from === "claimed" || f.from === "fiat_sent") {
          if (f.to !== "lost") this.metrics.count("reconciled", `${f.from}->${f.to}`);
        }
        return;
      case "fiat_sent":
        if (f.status === "fiat_sent" || f.status === "completed") this.metrics.count("fiat_sent");
        return;
      case "mode_changed":
      case "paused":
      case "resumed":
      case "stopped":
      case "connected":
      case "disconnected":
        if (typeof f.reason === "string") this.reason = f.reason;
        this.dirty = true;
        return;
      default:
    }
  }

  notice(n) {
    switch (n.kind) {
      case "claim_won":
        this.metrics.count("claims_won", n.currency ?? "", n.amount_usd ?? 0);
        this.alerts.send("claim_won", { id: n.id, currency: n.currency, amount_fiat: n.amount_fiat, amount_usd: n.amount_usd, action: "send the fiat, then POST /claims/{id}/fiat-sent" });
        return;
      case "completed":
        this.metrics.count("completed");
        return;
      case "stopped":
        this.reason = n.reason;
        this.dirty = true;
        this.alerts.send("stopped", { reason: n.reason });
        return;
      case "claim_gone":
        this.alerts.send("claim_gone", { id: n.id, reason: n.reason, action: "do not send fiat for it" });
        return;
      default:
    }
  }

  /** After an input's actions: a state change gets its log line (and the disconnect clock). */
  settled() {
    if (!this.dirty) return;
    this.dirty = false;
    let s;
    try {
      s = this.status();
    } catch {
      return;
    }
    const phase = phaseOf(s);
    if (phase === this.phase) return;
    const from = this.phase;
    this.phase = phase;
    const level = phase === "stopped" ? "error" : phase === "disconnected" ? "warn" : "info";
    this.log({ level, event: "state_changed", from, to: phase, reason: this.reason, connected: s.connected === true, open_claims: s.open_claims });
    if (phase === "disconnected") {
      this.disconnectedSince ??= Date.now();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.checkDisconnected(), this.disconnectedAlertMs);
    } else {
      this.disconnectedSince = null;
      this.disconnectAlerted = false;
      clearTimeout(this.timer);
    }
  }

  /** The disconnect alert, once per disconnection (also checked from the alarm). */
  checkDisconnected() {
    if (this.disconnectedSince === null || this.disconnectAlerted) return;
    const ms = Date.now() - this.disconnectedSince;
    if (ms < this.disconnectedAlertMs) return;
    this.disconnectAlerted = true;
    this.log({ level: "error", event: "disconnected_too_long", disconnected_ms: ms, threshold_ms: this.disconnectedAlertMs, reason: this.reason });
    this.alerts.send("disconnected", { disconnected_ms: ms, threshold_ms: this.disconnectedAlertMs, reason: this.reason });
  }

  close() {
    clearTimeout(this.timer);
  }
}
