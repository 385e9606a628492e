// The bot driver: carries out the bot engine's actions with an LpClient and a journal
// store, and turns what the client reports into the engine's inputs. It holds no policy:
// every decision is the engine's (src/bot/, in wasm as `BotEngine`). The edge bot, the
// Node CLI bot and the dashboard's auto-claim are this loop with their own store, clock,
// log and notifications.
//
// The contract (src/bot/engine.rs): actions are carried out in order, and a `persist`
// (or `persist_mode`, `forget`, `forget_mode`) is durable before any later action is
// carried out. Requests (claim, lookups, fiat-sent) are started, not awaited: their
// outcomes come back as inputs, one at a time.

/** @typedef {{ load(): Promise<{ entries: object[], modes: object[] }>, put(entry: object): Promise<void>, putMode(record: object): Promise<void>, forget(id: number): Promise<void>, forgetMode(seq: number): Promise<void> }} JournalStore */

export class BotDriver {
  /**
   * @param {object} o
   * @param {Function} o.LpClient   the client class (from the same module as BotEngine)
   * @param {Function} o.BotEngine  the engine class
   * @param {string} o.settings     the settings, as KEY=VALUE lines
   * @param {string} o.lpKey        the LP key (given to the client only; never logged)
   * @param {JournalStore} o.store  where the journal lives
   * @param {(line: object) => void} [o.log]     one JSON object per log line
   * @param {(notice: object) => void} [o.notify] what the operator must hear
   * @param {() => number} [o.now]  wall-clock ms (simulated time in tests and replays)
   * @param {object} [o.clientOptions] extra LpClientOptions (e.g. `WebSocket`)
   * @param {{ at: string, crash: () => void }} [o.fault] fault injection for tests: `crash()`
   *   right `before_persist:STATE` or `after_persist:STATE` of an entry in STATE
   * @param {import("./recorder.mjs").RecordingWriter} [o.record] records the order stream
   *   (frames, lookup answers, disconnections) for `rampwire-lp replay`
   */
  constructor({ LpClient, BotEngine, settings, lpKey, store, log = () => {}, notify = () => {}, now = Date.now, clientOptions = {}, fault = null, record = null }) {
    this.fault = fault;
    this.record = record;
    this.LpClient = LpClient;
    this.engine = new BotEngine(settings);
    this.lpKey = lpKey;
    this.store = store;
    this.log = log;
    this.notify = notify;
    this.now = now;
    this.clientOptions = clientOptions;
    this.client = null;
    this.offs = [];
    /** inputs are handled one at a time, each after the previous one's actions */
    this.queue = Promise.resolve();
    this.timer = undefined;
    this.stopped = false;
    /** what stopped the driver (a store that cannot write, an input the engine refused) */
    this.driverError = null;
    /** requests under way (claims, lookups, fiat-sent), and who waits for none to be */
    this.inFlight = 0;
    this.idleWaiters = [];
  }

  /** Loads the journal into the engine and carries out what follows (connect, checks). */
  start() {
    return this.enqueue(async () => {
      const { entries, modes } = await this.store.load();
      return { type: "load", entries, modes };
    });
  }

  /** An operator command: `pause`, `resume`, `fiat_sent` (with `id`), `release` (with `id`), `go_live`, `go_dry_run`. */
  command(command, id) {
    return this.enqueue(() => (id === undefined ? { type: "command", command } : { type: "command", command, id }));
  }

  /** The engine's status now (JSON object). */
  status() {
    const s = JSON.parse(this.engine.status(this.now()));
    if (this.driverError) s.driverError = this.driverError;
    return s;
  }

  /** The dry-run report now (JSON object). */
  summary() {
    return JSON.parse(this.engine.summary(this.now()));
  }

  /**
   * Graceful stop: closes the socket (no new orders), lets the requests under way report
   * their outcomes (journaled), up to `ms`, then stops. What is still unsettled stays
   * pending in the journal and is reconciled at the next start.
   */
  async drain(ms) {
    this.client?.close();
    if (this.inFlight > 0) {
      await Promise.race([new Promise((r) => this.idleWaiters.push(r)), new Promise((r) => setTimeout(r, ms))]);
    }
    await this.queue;
    this.stop();
  }

  /** Stops the timer and the client (REST calls under way are abandoned: the journal keeps them pending). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.dropClient();
  }

  // ---- inputs -------------------------------------------------------------------------

  /** Queues an input (an object, or a function that makes one, maybe async). */
  enqueue(make) {
    const run = async () => {
      if (this.stopped) return;
      const input = typeof make === "function" ? await make() : make;
      if (input === undefined || this.stopped) return;
      input.now = this.now();
      await this.carryOut(this.engine.handle(JSON.stringify(input)));
    };
    this.queue = this.queue.then(run, run).catch((e) => this.fail(e));
    return this.queue;
  }

  /** Time passed: the engine's deadlines. */
  tick() {
    return this.enqueue(async () => {
      await this.carryOut(this.engine.tick(this.now()));
      return undefined;
    });
  }

  async carryOut(json) {
    for (const a of JSON.parse(json)) await this.act(a);
    this.rearm();
  }

  rearm() {
    clearTimeout(this.timer);
    // A delay (at most a minute) on a monotonic timer: immune to wall-clock jumps.
    const delay = this.engine.nextDelay();
    if (delay === undefined || this.stopped) return;
    this.timer = setTimeout(() => this.tick(), delay);
  }

  fail(e) {
    // A store that cannot write means claims could go unjournaled (and an input the engine
    // refuses is a driver bug): stop claiming.
    this.driverError = String(e?.message ?? e);
    this.log({ level: "error", event: "driver_error", message: this.driverError });
    this.stopped = true;
    clearTimeout(this.timer);
    this.client?.close();
  }

  // ---- actions ------------------------------------------------------------------------

  async act(a) {
    switch (a.type) {
      case "persist":
        if (this.fault?.at === `before_persist:${a.entry.state}`) this.fault.crash();
        await this.store.put(a.entry);
        if (this.fault?.at === `after_persist:${a.entry.state}`) this.fault.crash();
        return;
      case "persist_mode":
        return this.store.putMode(a.record);
      case "forget":
        return this.store.forget(a.id);
      case "forget_mode":
        return this.store.forgetMode(a.seq);
      case "connect":
        return this.connect();
      case "disconnect":
        this.client?.close();
        return;
      case "claim":
        return this.claim(a.id, a.token);
      case "get_order":
        return this.lookup(a.id, a.token);
      case "fiat_sent":
        return this.request((c) => c.fiatSent(a.id), (order) => ({ type: "fiat_sent_outcome", id: a.id, token: a.token, outcome: { result: "order", body: order } }),
          (e) => ({ type: "fiat_sent_outcome", id: a.id, token: a.token, outcome: { result: "failed", ...failure(e) } }));
      case "notify":
        return this.notify(a.notice);
      case "log":
        return this.log({ level: a.level, event: a.event, mode: a.mode, ...a.fields });
      default:
        this.log({ level: "warn", event: "unknown_action", action: a.type });
    }
  }

  /** The client, made on first need (the engine's settings give its options). */
  ensureClient() {
    if (this.client !== null) return this.client;
    const options = { ...JSON.parse(this.engine.clientOptions()), ...this.clientOptions, lpKey: this.lpKey };
    const c = new this.LpClient(options);
    this.offs = [
      c.on("init", (i) => {
        this.enqueue({ type: "connected", lp_id: i.lpId });
        const at = this.now();
        this.record?.init(at, i);
        for (const o of i.orders) this.enqueue({ type: "order", order: orderInfo(o, at) });
      }),
      c.on("order", (o) => {
        const at = this.now();
        this.record?.newOrder(at, o);
        this.enqueue({ type: "order", order: orderInfo(o, at) });
      }),
      c.on("order_taken", (e) => {
        this.record?.orderTaken(this.now(), e.orderId);
        this.enqueue({ type: "order_taken", id: e.orderId });
      }),
      c.on("state", (s) => {
        if (s.state === "reconnecting") this.record?.disconnected(this.now());
        if (s.state === "reconnecting") this.enqueue({ type: "disconnected", reason: s.reason?.message ?? null });
        if (s.state === "failed") this.enqueue(fatalOf(s.reason));
      }),
      c.on("error", (e) => this.log({ level: "warn", event: "client_error", kind: e.kind, message: e.message })),
    ];
    this.client = c;
    return c;
  }

  connect() {
    const c = this.ensureClient();
    if (c.state === "live" || c.state === "connecting" || c.state === "authenticating" || c.state === "reconnecting") return;
    // Not awaited: `init` arrives as an input; a refused key as `fatal` (state "failed").
    c.connect().catch(() => {});
  }

  started() {
    this.inFlight++;
  }

  settled() {
    this.inFlight--;
    if (this.inFlight === 0) for (const r of this.idleWaiters.splice(0)) r();
  }

  claim(id, token) {
    const t0 = this.now();
    this.request(
      (c) => c.claim(id),
      (r) => {
        const rtt = Math.max(0, Math.round(this.now() - t0));
        this.record?.rtt(this.now(), rtt);
        const lp = typeof r.order?.lp_id === "number" ? r.order.lp_id : null;
        // The order goes along: a claim that landed on an order since cancelled is not won.
        const claimed = { result: "claimed", lp_id: lp, order: r.order ?? null };
        return [
          { type: "rtt_sample", ms: rtt },
          { type: "claim_outcome", id, token, outcome: r.status === "claimed" ? claimed : { result: "taken" } },
        ];
      },
      (e) => ({ type: "claim_outcome", id, token, outcome: { result: "failed", ...failure(e) } }),
    );
  }

  /**
   * GET /api/orders/{id}. Its round trip is a sample of the claim's too (one request to the
   * same API): a dry run, which sends no claim, measures its race estimate by it.
   */
  lookup(id, token) {
    const t0 = this.now();
    this.request(
      (c) => c.getOrder(id),
      (order) => {
        const rtt = Math.max(0, Math.round(this.now() - t0));
        this.record?.state(this.now(), order);
        this.record?.rtt(this.now(), rtt);
        // `via` is not enumerable: the engine is not told (the input's JSON has no such
        // field), a tap can tell it from a claim's (the edge's claim_rtt metric).
        const sample = Object.defineProperty({ type: "rtt_sample", ms: rtt }, "via", { value: "lookup", enumerable: false });
        return [sample, { type: "order_state", id, token, answer: { result: "order", body: order } }];
      },
      (e) => ({ type: "order_state", id, token, answer: e.kind === "not_found" ? { result: "not_found" } : { result: "failed", ...failure(e) } }),
    );
  }

  /** Starts `call(client)`; its outcome becomes the input(s) `ok(value)` or `err(error)` make. */
  request(call, ok, err) {
    const c = this.ensureClient();
    let p;
    try {
      p = call(c);
    } catch (e) {
      p = Promise.reject(e);
    }
    this.started();
    const queue = (inputs) => [inputs].flat().forEach((i) => this.enqueue(i));
    // The outcome is queued before the request counts as settled (see `drain`).
    p.then((v) => queue(ok(v)), (e) => queue(err(e))).finally(() => this.settled());
  }

  dropClient() {
    for (const off of this.offs) off();
    this.offs = [];
    if (this.client) {
      this.client.close();
      this.client.free();
      this.client = null;
    }
  }
}

/** The engine's order input from the client's order, received at `at`. */
function orderInfo(o, at) {
  return { id: o.id, currency: o.currency, amount_fiat: o.amount_fiat, amount_usd: o.amount_usd, crypto_symbol: o.crypto_symbol, crypto_chain: o.crypto_chain, status: o.status, received_at: Math.round(at) };
}

/** An LpError as the engine's failure fields (the kind is one of LpErrorKind). */
function failure(e) {
  const out = { kind: typeof e?.kind === "string" ? e.kind : "unknown", message: String(e?.message ?? e) };
  if (typeof e?.status === "number") out.status = e.status;
  return out;
}

function fatalOf(reason) {
  return { type: "fatal", kind: typeof reason?.kind === "string" ? reason.kind : "unauthorized", message: String(reason?.message ?? "the client stopped") };
}
