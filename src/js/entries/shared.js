// `rampwire-lp/shared`: LpClient's API for pages that may be open in many tabs. The client
// itself (socket, book, timers, claims) lives in one worker per browser profile (see
// shared-worker.js); each `LpClient` made here is a handle on it, and every handle with the
// same options shares one socket and one claim per order.
import { LpError } from "./rampwire_lp.js";
import { openTransport } from "./shared/transport.js";
import { fromWire } from "./shared/wire.js";

export { LpError };

/** The worker script (override with `init({ workerUrl })`, e.g. for a bundler's asset URL). */
let workerUrl = new URL("./shared-worker.js", import.meta.url);
let link = null;
/** ref → client, for routing the hub's messages. */
const clients = new Map();
let nextRef = 1;
let nextRid = 1;

/** Starts (once) the link to the shared worker; `LpClient` calls it too. */
export default function init(opts) {
  if (opts?.workerUrl) workerUrl = new URL(opts.workerUrl, globalThis.location?.href);
  link ??= openTransport(workerUrl, (m) => clients.get(m.ref)?._in(m), () => {
    for (const c of clients.values()) c._resend();
  });
  return link.then(() => {});
}
export { init };

/** How this tab reaches the hub: "shared-worker", "leader" or "follower" (null before init). */
export async function sharedMode() {
  return link ? (await link).mode() : null;
}

/** A handle on the shared client for `options` (LpClient's options but `WebSocket`). */
export class LpClient {
  #ref = nextRef++;
  #options;
  #listeners = new Map();
  #pending = new Map();
  #book = new Map();
  #state = "idle";
  #lpId = undefined;
  #connected = false;
  #closed = false;
  /** The auto-claim start this handle asked for (sent again to a new hub). */
  #auto = null;

  constructor(options) {
    if (!options || typeof options.apiUrl !== "string" || typeof options.lpKey !== "string" || !options.lpKey.trim()) {
      throw new LpError("invalid_argument", "options need apiUrl and a non-empty lpKey");
    }
    if (options.WebSocket) throw new LpError("invalid_argument", "the shared client opens its socket in the worker: no WebSocket option");
    // Sorted keys: the hub tells identical options apart by their JSON.
    this.#options = Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)));
    clients.set(this.#ref, this);
    init();
    this.#send({ t: "open", options: this.#options });
  }

  /** Subscribes to an event (LpClient's, plus `claim`: any tab's claim outcome); returns an unsubscribe function. */
  on(event, fn) {
    if (typeof fn !== "function") throw new LpError("invalid_argument", "listener must be a function");
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Connects (or joins the live socket); resolves with an `init` payload. */
  connect() {
    this.#connected = true;
    return this.#call("connect");
  }
  /** As LpClient's; one claim per order per LP across every tab. */
  claim(id) { return this.#call("claim", [id]); }
  /** As LpClient's, shared like `claim`. */
  claimWs(id) { return this.#call("claimWs", [id]); }
  /** As LpClient's. */
  fiatSent(id) { return this.#call("fiatSent", [id]); }
  /** As LpClient's, but the refusal (not live) arrives as an `error` event. */
  fiatSentWs(id) {
    if (this.#state !== "live") throw new LpError("closed", "the connection is not live");
    this.#call("fiatSentWs", [id]).catch((e) => this.#emit("error", e));
  }
  /** As LpClient's. */
  getOrder(id) { return this.#call("getOrder", [id]); }
  /** As LpClient's. */
  waitForStatus(id, status, options) { return this.#call("waitForStatus", [id, status, options]); }
  /** How the shared socket is doing (`LinkStats`): last message, ping RTT, sockets of this key. */
  stats() { return this.#call("stats"); }
  /** Drops the shared socket and opens a new one at once (skipping any backoff wait). */
  reconnect() { return this.#call("reconnect"); }
  /**
   * Auto-claim: the bot engine runs in the worker on this client's socket (loaded on the
   * first `start`). `{ op: "start", settings }` (KEY=VALUE lines), `{ op: "command",
   * command }` (pause, resume, go_live, go_dry_run), `{ op: "status" }`, `{ op: "stop" }`;
   * resolves with `{ running, status, summary }`.
   */
  autoClaim(request) {
    if (request?.op === "start") this.#auto = request;
    if (request?.op === "stop") this.#auto = null;
    return this.#call("autoClaim", [request]);
  }
  /** The open orders the shared client knows of, newest first. */
  openOrders() { return [...this.#book.values()].sort((a, b) => b.id - a.id); }
  /** The connection's state (as the shared client last reported it). */
  get state() { return this.#closed ? "closed" : this.#state; }
  /** Our LP id, once known. */
  get lpId() { return this.#lpId; }

  /** Detaches this handle; the socket closes when the last handle of every tab is gone. Idempotent. */
  close() {
    if (this.#closed) return;
    this.#send({ t: "call", method: "close" });
    this.#closed = true;
    this.#connected = false;
    for (const p of this.#pending.values()) p.reject(new LpError("closed", "the client was closed"));
    this.#pending.clear();
    clients.delete(this.#ref);
  }
  /** Same as `close()` (LpClient's wasm memory lives in the worker). */
  free() { this.close(); }
  [Symbol.dispose]() { this.close(); }

  #call(method, args) {
    if (this.#closed) return Promise.reject(new LpError("closed", "the client was closed"));
    return new Promise((resolve, reject) => {
      const m = { t: "call", method, args };
      const rid = this.#send(m);
      this.#pending.set(rid, { m, resolve, reject });
    });
  }

  #send(m, rid = nextRid++) {
    link.then((l) => l.send({ ...m, rid, tab: l.tab, ref: this.#ref }));
    return rid;
  }

  #emit(event, payload) {
    for (const fn of this.#listeners.get(event) ?? []) {
      try { fn(payload); } catch (e) { queueMicrotask(() => { throw e; }); }
    }
  }

  /** A new hub took over: open again, reconnect, and re-send what is unanswered. */
  _resend() {
    if (this.#closed) return;
    this.#send({ t: "open", options: this.#options });
    if (this.#connected && ![...this.#pending.values()].some((p) => p.m.method === "connect")) this.#send({ t: "call", method: "connect" });
    for (const [rid, p] of this.#pending) this.#send(p.m, rid);
    if (this.#auto && ![...this.#pending.values()].some((p) => p.m.args?.[0] === this.#auto)) this.#send({ t: "call", method: "autoClaim", args: [this.#auto] });
  }

  /** A message from the hub. */
  _in(m) {
    if (m.t === "reply") {
      const p = this.#pending.get(m.rid);
      if (m.ok && m.value && Array.isArray(m.value.orders)) this.#snapshot(m.value);
      if (!p) return;
      this.#pending.delete(m.rid);
      if (m.ok) p.resolve(fromWire(m.value, LpError));
      else p.reject(fromWire(m.error, LpError));
    } else if (m.t === "event") {
      const payload = fromWire(m.payload, LpError);
      if (m.event === "init") this.#snapshot(payload);
      else if (m.event === "order") this.#book.set(payload.id, payload);
      else if (m.event === "order_removed") this.#book.delete(payload.orderId);
      else if (m.event === "state") this.#state = payload.state;
      this.#emit(m.event, payload);
    }
  }

  #snapshot(v) {
    this.#book = new Map(v.orders.map((o) => [o.id, o]));
    if (v.lpId != null) this.#lpId = v.lpId;
    if (v.state) this.#state = v.state;
  }
}
