// The client's JS half: the listeners, the WebSocket, the timer, REST requests, and the
// frame path that takes each text frame into wasm with one call and turns what wasm wrote
// back into events; also the package's error class and the options' JSON text (one file
// less to ship). Rust decides everything (the core's state machines); this file only
// touches the platform, with one wasm closure per kind of callback for the client's whole
// life, so nothing is allocated or leaked per socket, timer or request.
//
// Why frames and events are handled here: from wasm, every field of an event object is a
// boundary crossing and every string a copy through TextDecoder. Here a frame is copied
// in with the engine's `encodeInto`, and an order is built as one object literal whose
// strings are slices of the frame text that wasm points at (record layout: frames.rs).

/** An error from rampwire-lp: `kind` says what class of failure; never holds the key. */
export class LpError extends Error {
  constructor(kind, message, status, orderId) {
    super(message);
    this.name = "LpError";
    this.kind = kind;
    if (status !== undefined) this.status = status;
    if (orderId !== undefined) this.orderId = orderId;
  }
}

export function makeLpError(kind, message, status, orderId) {
  return new LpError(kind, message, status, orderId);
}

/**
 * Options as JSON text, for the core's strict reader: non-finite numbers and BigInts
 * become strings (so they are refused as "must be a number", not read as null);
 * `undefined` is absent. Returns undefined when `value` is not a plain object.
 */
export function optionsJson(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  try {
    return JSON.stringify(value, (_, v) =>
      (typeof v === "number" && !Number.isFinite(v)) || typeof v === "bigint" ? String(v) : v,
    );
  } catch (_) {
    return undefined; // a cycle, or a throwing getter
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Record entry kinds and layout: keep in step with frames.rs. */
const WIDTH = 14;
const ORDER = 1;
const TAKEN = 2;
const REMOVED = 3;
const QUEUED = 4;
const REASONS = ["taken", "claimed", "vanished", "evicted"];
/** `handle` lengths that are not lengths. */
const BINARY = 0xffffffff;
const TOO_LARGE = 0xfffffffe;
/** `handle` lengths above this are short frames, by shape number (see frames.rs). */
const SHORT = 0xffffffef;
/** What wasm answers when the client is inside a call (keep in step with frames.rs). */
const BUSY = 0xffffffff;
/** Socket event kinds for `onSocket` (keep in step with client.rs). */
const OPENED = 0;
const CLOSED = 1;
/** REST flow steps from wasm, and what is reported back (keep in step with flows.rs). */
const FETCH = 0;
const SLEEP = 1;
const RESOLVE = 2;
const REJECT = 3;
const ANSWER = 0;
const TIMED_OUT = 1;
const FAILED = 2;
const WAKE = 3;
const BODY_TOO_LARGE = 4;
/** Won claims remembered per client (so a second `claim` of a won order sends nothing). */
const MAX_CLAIMS_KEPT = 1024;
/** The ends of REST operations' URLs after `/api/orders/{id}`, by `Operation::index` (rest.rs). */
const OPERATIONS = ["/claim", "/fiat-sent", ""];

/** The largest frame accepted, in UTF-8 bytes (keep in step with frames.rs). */
const MAX_FRAME = 1 << 20;

/** Short frames (wire crate, short.rs): shape numbers and the text before the integer. */
const SHORT_TAKEN = 1;
const SHORT_PONG = 2;
const TAKEN_PREFIX = '{"type":"order_taken","order_id":';
const PONG_PREFIX = '{"type":"pong","ts":';
const MAX_DIGITS = 15;
/** Longest frame `shortFrame` can recognise (its prefix, the digits, the brace). */
const SHORT_MAX = TAKEN_PREFIX.length + MAX_DIGITS + 1;

/** How the provider writes a new_order frame (see `rejectUnread`). */
const NEW_ORDER = '{"type":"new_order",';

/** Everything one client touches on the JS side. */
export class Host {
  #authorization;

  /**
   * @param memory   the module's WebAssembly.Memory
   * @param handle   (socket, length) => number of record entries written
   * @param reserve  (bytes) => address of a scratch buffer that large, or 0 when too large
   * @param onSocket (socket, kind, code) => void, for open and close/error
   * @param onTimer  (unreadOn) => void; unreadOn: the socket of frames dropped unread since the last tick, or 0
   * @param onStep   (flow, input, status, body) => the flow's next step
   * @param header   address of two f64s: the record's address, a short frame's integer
   * @param WebSocketClass options.WebSocket, or undefined for the global one
   * @param needles  texts of the order filter's quick reject (filter.rs), or null
   * @param authorization the `Authorization` header value for REST requests
   * @param timeoutMs REST request timeout (body included)
   * @param maxBody  largest REST answer body read, in bytes (counted while it streams)
   * @param apiUrl   the REST base (Node keeps a connection to it warm while the stream is open)
   */
  constructor(memory, handle, reserve, onSocket, onTimer, onStep, header, WebSocketClass, needles, authorization, timeoutMs, maxBody, apiUrl) {
    this.WebSocket = WebSocketClass;
    // Made once per client (a claim is on the race's critical path); private, so no
    // enumeration or serialisation of the host shows the key.
    this.#authorization = authorization;
    this.timeoutMs = timeoutMs;
    this.maxBody = maxBody;
    /** order id -> promise of its claim, while it runs and once won (see `noteClaim`) */
    this.claims = new Map();
    /** flow -> what its caller hears if the client is freed first (set by wasm) */
    this.abandoned = new Map();
    /** flow -> settles it with an error (the client was freed) */
    this.running = new Map();
    /** fetches under way: { controller, at: deadline, code } (aborted when the client is freed) */
    this.inFlight = new Set();
    this.spareController = null;
    /** the fetch timeouts' timer (see `sweepIn`) */
    this.sweeper = undefined;
    this.apiUrl = apiUrl;
    this.ordersUrl = apiUrl + "/api/orders/";
    /** Node: this client's keep-alive connections (node-http.js); elsewhere null (fetch). */
    const node = nodeTransport();
    this.pool = node === null ? null : node.pool(authorization);
    // What keeps a frame from being dropped unread (see `rejectUnread`): a quoted allowed
    // currency, or else a backslash or a second "type"; null: every frame is read.
    this.needles = needles;
    /** socket of frames dropped unread since the last timer tick (0: none) */
    this.unreadOn = 0;
    this.memory = memory;
    this.handle = handle;
    this.reserve = reserve;
    this.onSocket = onSocket;
    this.onTimer = onTimer;
    this.onStep = onStep;
    this.header = header >>> 3;
    this.ws = null;
    this.wsId = 0;
    this.timer = undefined;
    /** name -> array of listeners; arrays are replaced, never changed, so emit iterates a snapshot */
    this.listeners = Object.create(null);
    this.queued = [];
    this.closed = false;
    this.ptr = 0;
    this.cap = 0;
    this.buffer = null;
    this.views();
  }

  views() {
    // Growing the memory detaches the old buffer (its length drops to 0): only then
    // are new views needed. (Cheaper than reading memory.buffer every time.)
    if (this.buffer !== null && this.u8.byteLength !== 0) return;
    this.buffer = this.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.dst = this.u8.subarray(this.ptr, this.ptr + this.cap);
  }

  /** Adds a listener; returns an idempotent unsubscribe function. */
  on(name, fn) {
    this.listeners[name] = [...(this.listeners[name] || []), fn];
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.listeners[name] || []).filter((f) => f !== fn);
      if (left.length) this.listeners[name] = left;
      else delete this.listeners[name];
    };
  }

  /** Listener count (counted, not tracked: unsubscribing after close() cannot skew it). */
  get size() {
    let n = 0;
    for (const name in this.listeners) n += this.listeners[name].length;
    return n;
  }

  has(name) {
    return this.listeners[name] !== undefined;
  }

  /** Calls every listener of `name`; a throwing listener is reported, never propagated. */
  emit(name, payload) {
    const ls = this.listeners[name];
    if (ls === undefined) return;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i](payload);
      } catch (e) {
        console.error("rampwire-lp: a listener for", name, e);
      }
    }
  }

  /** From wasm while a frame is handled: an event to deliver in its turn. */
  queue(name, payload) {
    this.queued.push(name, payload);
  }

  /** The class sockets are opened with: options.WebSocket, else the global one. */
  socketClass() {
    return this.WebSocket ?? globalThis.WebSocket;
  }

  hasWebSocket() {
    return typeof this.socketClass() === "function";
  }

  /** Opens socket `id` (closing any other first); throws if the platform refuses. */
  open(id, url) {
    this.closeSocket(this.wsId, 1000, "reconnecting");
    const ws = new (this.socketClass())(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      this.socketEvent(id, OPENED, 0);
      // fetch's timeouts: the sweep runs while the socket is open (see `sweepIn`).
      if (this.pool === null && this.sweeper === undefined && !this.closed) this.sweepIn();
    };
    ws.onclose = (e) => this.socketEvent(id, CLOSED, e.code | 0);
    ws.onerror = () => this.socketEvent(id, CLOSED, 0);
    // Node: the transport keeps a connection warm while the socket is open and reads the
    // ws package's text frames as bytes (node-http.js, `attach`).
    if (this.pool?.attach(this, id, ws) !== true) ws.onmessage = (e) => this.frame(id, e.data);
    this.ws = ws;
    this.wsId = id;
  }

  /** Some runtimes fire socket events synchronously inside a client call: then wasm
   * answers BUSY and the event is delivered again right after. */
  socketEvent(id, kind, code) {
    if (this.onSocket(id, kind, code) === BUSY) queueMicrotask(() => this.socketEvent(id, kind, code));
  }

  /** Sends on socket `id` if it is the current one; a failure surfaces as its close. */
  send(id, text) {
    if (this.wsId !== id || this.ws === null) return;
    try {
      this.ws.send(text);
    } catch (_) {
      /* closing: the close event follows */
    }
  }

  /**
   * Forgets socket `id`: handlers first (some runtimes fire `close` synchronously from
   * `close()`, which must not re-enter the client), then closes it.
   */
  closeSocket(id, code, reason) {
    const ws = this.ws;
    if (ws === null || this.wsId !== id) return;
    this.ws = null;
    this.pool?.warm(this.apiUrl, false);
    // No-ops, not null: an EventEmitter (the ws package) throws an "error" event no one
    // listens to, and its close() while connecting emits one a tick later.
    ws.onopen = ws.onclose = ws.onerror = ws.onmessage = Object;
    if (ws.readyState <= 1) {
      try {
        ws.close(code, reason);
      } catch (_) {
        /* already closing */
      }
    }
  }

  /** Calls `onTimer` after `ms` (replacing any armed timer); a negative `ms` disarms. */
  arm(ms) {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (ms >= 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const unreadOn = this.unreadOn;
        this.unreadOn = 0;
        this.onTimer(unreadOn);
      }, ms);
    }
  }

  /**
   * What is known of order `id`'s claim: 0 nothing, 1 its last claim's outcome stayed
   * unknown, 2 one under way or won (`claimOf` gives its promise). A number: on a claim's
   * path each value wasm takes from JS to inspect is a boundary call of its own.
   */
  claimState(id) {
    const c = this.claims.get(id);
    return c === undefined ? 0 : c === true ? 1 : 2;
  }

  /** The promise of the claim of order `id` under way or won (when `claimState` is 2). */
  claimOf(id) {
    return this.claims.get(id);
  }

  /**
   * Records `promise` as the claim of order `id`: kept while it runs, so a second claim
   * of the order by either path joins it, and once won, so a won order is not claimed
   * again; replaced by `true` when the outcome stays unknown (the next claim asks the
   * server first); forgotten once it ends otherwise (a refusal may be retried). Bounded.
   */
  noteClaim(id, promise) {
    const claims = this.claims;
    claims.set(id, promise);
    const end = (keep) => {
      if (claims.get(id) === promise) keep === undefined ? claims.delete(id) : claims.set(id, keep);
      if (claims.size > MAX_CLAIMS_KEPT) claims.delete(claims.keys().next().value);
    };
    promise.then((r) => end(r?.status === "claimed" ? promise : undefined), (e) => end(e?.kind === "unknown" || undefined));
  }

  /** Flow `flow` on order `id` is cut short by free(); `mayAct`: it may have changed the order. */
  abandon(flow, id, mayAct) {
    this.abandoned.set(flow, this.freed(id, mayAct));
  }

  /** The error for something on order `id` (-1: none) cut short by free() (as core's `Flow::abandoned`). */
  freed(id, mayAct) {
    if (!mayAct) return new LpError("closed", "the client was freed", undefined, id < 0 ? undefined : id);
    const m = `outcome unknown (the client was freed while it ran): check GET /api/orders/${id} before acting again`;
    return new LpError("unknown", `order ${id}: ${m}`, undefined, id);
  }

  /**
   * Starts REST flow `flow` with operation `op` on order `id` (`post`: POST with body `{}`,
   * else GET) and returns the promise of its outcome; `fetch` is called before this
   * returns. `claim`: the promise is recorded as the order's claim (`noteClaim`), here
   * rather than by a call of its own. The URL is built here, as rest.rs builds it: in
   * Workers a claim's request leaves only when the task ends, so all the task's work
   * delays it, and a string from wasm costs a TextDecoder call.
   */
  request(flow, id, op, post, claim) {
    const url = this.ordersUrl + id + OPERATIONS[op];
    // The exchange first: the promise and the flow's bookkeeping can wait, a claim cannot.
    // (wasm may hold the client while it calls this: nothing may throw out of it.)
    let sent;
    try {
      sent = this.exchange(url, post);
    } catch (e) {
      sent = Promise.reject([FAILED, String((e && e.message) || e)]);
    }
    const promise = new Promise((resolve, reject) => this.run(flow, [FETCH, url, post], resolve, reject, sent));
    if (claim) this.noteClaim(id, promise);
    return promise;
  }

  /**
   * Runs REST flow `flow` from its first `step` until wasm says it is done; settles
   * through `resolve`/`reject` when given. `sent`: the first step's exchange, already
   * under way.
   */
  async run(flow, step, resolve, reject, sent) {
    let settled = false;
    const settle = (ok, value) => {
      if (settled) return;
      settled = true;
      this.running.delete(flow);
      this.abandoned.delete(flow);
      const f = ok ? resolve : reject;
      if (typeof f === "function") f(value);
    };
    for (;;) {
      const op = step[0];
      if (op === FETCH) {
        const exchange = sent ?? this.exchange(step[1], step[2]);
        sent = undefined;
        // (After the request is on its way: nothing that can wait comes before it.)
        if (!this.running.has(flow)) this.running.set(flow, (e) => settle(false, e));
        let input = ANSWER;
        let status = 0;
        let text = "";
        try {
          [status, text] = await exchange;
        } catch (e) {
          input = e[0];
          text = e[1];
        }
        if (settled) return;
        step = this.onStep(flow, input, status, text);
      } else if (op === SLEEP) {
        if (!this.running.has(flow)) this.running.set(flow, (e) => settle(false, e));
        await sleep(step[1]);
        if (settled) return;
        step = this.onStep(flow, WAKE, 0, "");
      } else {
        return settle(op === RESOLVE, step[1]);
      }
    }
  }

  /**
   * One REST exchange, with a timeout that covers the body too. Resolves with [status,
   * body text]; rejects with [timedOut, platform message]. The key travels only in the
   * Authorization header. A claim races other LPs: until the request is on its way
   * nothing is done that can wait (timers are armed after it).
   */
  exchange(url, post) {
    return this.pool !== null ? this.pool.exchange(url, post, this.timeoutMs, this.maxBody) : this.exchangeFetch(url, post);
  }

  /**
   * Over the global `fetch(url, init)` (browsers, Workers). The AbortController was made
   * ahead of need (Node takes ~15 µs to build one); the spare is the client's own:
   * Workers bind such objects to the request that made them. No timer is armed here: in
   * Workers a request leaves only once the task is over, and arming one took about a
   * quarter of the spec bot's whole message task (CPU profile); `sweepIn` times it out.
   */
  async exchangeFetch(url, post) {
    const controller = this.spareController ?? new AbortController();
    this.spareController = null;
    // Redirects are never followed: a 307 would re-send the claim to another origin, and
    // its answer would prove nothing here (browsers show status 0, Workers the 3xx).
    const init = { method: post ? "POST" : "GET", headers: this.headers(post), signal: controller.signal, redirect: "manual" };
    if (post) init.body = "{}";
    const entry = { controller, at: performance.now() + this.timeoutMs, code: FAILED };
    try {
      const answer = fetch(url, init);
      this.inFlight.add(entry);
      if (this.sweeper === undefined) this.sweepIn();
      const response = await answer;
      return [response.status, await this.readBody(response, controller, () => (entry.code = BODY_TOO_LARGE))];
    } catch (e) {
      throw [entry.code, String((e && e.message) || "fetch failed")];
    } finally {
      this.inFlight.delete(entry);
      // The next claim's controller, made now that this one's answer is in.
      if (this.spareController === null && !this.closed) {
        const c = new AbortController();
        void c.signal; // Node makes a signal on first use (~15 µs)
        this.spareController = c;
      }
    }
  }

  /**
   * The fetch timeouts' one timer: it ticks every quarter of the timeout (10 ms to 1 s)
   * while a fetch is under way or the socket is open, so a claim never arms one; a fetch
   * past its time is aborted at the next tick (late by at most that tick).
   */
  sweepIn() {
    this.sweeper = setTimeout(() => {
      this.sweeper = undefined;
      if (this.closed) return;
      const now = performance.now();
      for (const e of this.inFlight) {
        if (now >= e.at) {
          e.code = TIMED_OUT;
          e.controller.abort();
        }
      }
      if (this.inFlight.size > 0 || this.ws !== null) this.sweepIn();
    }, Math.min(1000, Math.max(10, this.timeoutMs / 4)));
  }

  /** A fetch answer's body as text, counted while it streams: past `maxBody`, aborted. */
  async readBody(response, controller, tooLarge) {
    const over = () => {
      tooLarge();
      controller.abort();
      return new Error("answer body too large");
    };
    if (Number(response.headers.get("content-length")) > this.maxBody) throw over();
    if (response.body === null) return "";
    const reader = response.body.getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.maxBody) throw over();
      chunks.push(value);
    }
    if (chunks.length === 1) return decoder.decode(chunks[0]);
    const all = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.byteLength;
    }
    return decoder.decode(all);
  }

  /** A request's headers (the key only here). */
  headers(post) {
    return post
      ? { Authorization: this.#authorization, "Content-Type": "application/json" }
      : { Authorization: this.#authorization };
  }

  /** Forgets every listener, the socket and the timer (the client was freed). */
  close() {
    this.closed = true;
    this.#authorization = "";
    this.listeners = Object.create(null);
    this.closeSocket(this.wsId, 1000, "client closed");
    this.arm(-1);
    // Flows under way settle now, as wasm said (`abandon`): `unknown` where the server may
    // have acted, never a refusal.
    for (const [flow, fail] of this.running) fail(this.abandoned.get(flow) ?? new LpError("closed", "the client was freed"));
    this.running.clear();
    this.claims.clear();
    clearTimeout(this.sweeper);
    this.inFlight.forEach((e) => e.controller.abort());
    this.pool?.destroy();
  }

  grow(bytes) {
    const ptr = this.reserve(bytes);
    if (ptr !== 0) {
      this.ptr = ptr;
      this.cap = bytes;
    }
    this.buffer = null;
    this.views();
  }

  frame(id, data) {
    if (this.closed) return;
    if (this.needles !== null && typeof data === "string" && this.rejectUnread(data)) {
      this.unreadOn = id;
      return;
    }
    let length = BINARY;
    let ascii = false;
    if (typeof data === "string") {
      // A third of a feed is order_taken and pong: read as one number, nothing copied.
      const shape = shortFrame(data);
      if (shape !== 0) {
        this.views();
        this.f64[this.header + 1] = shortValue;
        length = SHORT + shape;
        ascii = true;
      } else if (data.length > MAX_FRAME) {
        length = TOO_LARGE; // at least one UTF-8 byte per UTF-16 unit
      } else {
        if (data.length > this.cap) this.grow(data.length);
        this.views();
        if (COPY_IN_JS && data.length <= this.cap && copyAscii(data, this.dst)) {
          length = data.length;
          ascii = true;
        } else {
          let r = encoder.encodeInto(data, this.dst);
          if (r.read < data.length) {
            // Non-ASCII text takes up to 3 bytes per UTF-16 unit; the limit counts bytes.
            this.grow(Math.min(data.length * 3, MAX_FRAME));
            r = encoder.encodeInto(data, this.dst);
          }
          length = r.read < data.length ? TOO_LARGE : r.written;
          ascii = r.written === data.length;
        }
      }
    }
    const count = this.handle(id, length);
    if (count === BUSY) queueMicrotask(() => this.frame(id, data));
    else if (count > 0) this.deliver(count, data, ascii);
  }

  /**
   * Whether a frame is a new_order whose currency the order filter rejects, told without
   * decoding it (the contract is in filter.rs, `quick_reject_needles`): most frames an
   * auto-claim bot gets are such orders, and copying them into wasm costs more than this.
   */
  rejectUnread(data) {
    if (!data.startsWith(NEW_ORDER)) return false;
    // The currencies first: an order to claim is told at its first search. (`indexOf`, not
    // one regular expression: in workerd the regex took 12 % of a claiming frame's time.)
    const needles = this.needles;
    for (let i = 0; i < needles.length; i++) if (data.indexOf(needles[i], NEW_ORDER.length) >= 0) return false;
    return data.indexOf('"type"', NEW_ORDER.length) < 0 && data.indexOf("\\", NEW_ORDER.length) < 0;
  }

  deliver(count, text, ascii) {
    const queued = this.queued;
    this.queued = [];
    let q = 0;
    for (let i = 0; i < count && !this.closed; i++) {
      // A listener may call into wasm, which may grow memory: refresh the views each time.
      this.views();
      const f = this.f64;
      const o = (f[this.header] >>> 3) + i * WIDTH;
      switch (f[o]) {
        case ORDER:
          if (this.listeners.order !== undefined) this.emit("order", this.order(f, o, text, ascii));
          break;
        case TAKEN:
          if (this.listeners.order_taken !== undefined) this.emit("order_taken", { orderId: f[o + 1] });
          break;
        case REMOVED:
          if (this.listeners.order_removed !== undefined) {
            this.emit("order_removed", { orderId: f[o + 1], reason: REASONS[f[o + 2]] });
          }
          break;
        case QUEUED:
          this.emit(queued[q], queued[q + 1]);
          q += 2;
          break;
      }
    }
  }

  /** An order from a record entry: strings are slices of the frame where wasm points into it. */
  order(f, o, text, ascii) {
    const fiat = f[o + 2];
    const usd = f[o + 3];
    return {
      id: f[o + 1],
      amount_fiat: fiat === fiat ? fiat : null, // NaN: unreadable
      currency: this.text(f[o + 4], f[o + 5], text, ascii),
      amount_usd: usd === usd ? usd : null,
      crypto_symbol: this.text(f[o + 6], f[o + 7], text, ascii),
      crypto_chain: this.text(f[o + 8], f[o + 9], text, ascii),
      status: this.text(f[o + 10], f[o + 11], text, ascii),
      created_at: this.text(f[o + 12], f[o + 13], text, ascii),
    };
  }

  text(ptr, len, text, ascii) {
    const at = ptr - this.ptr;
    // Byte offsets equal string indices only when the frame is ASCII.
    if (ascii && at >= 0 && at + len <= text.length) return text.slice(at, at + len);
    return decoder.decode(this.u8.subarray(ptr, ptr + len));
  }
}

/**
 * The Node transport (node-http.js), where a Node entry of the package installed it; else
 * null (browsers and Workers use `fetch`, and do not load the Node code at all). Found on
 * the global scope so that every copy of this file in a process sees it.
 */
const nodeTransport = () => globalThis[Symbol.for("rampwire-lp.node-http")] ?? null;

/**
 * Whether frames are copied into wasm by a loop rather than `encodeInto`: Blink, Chromium's
 * engine, takes ~600 ns per `encodeInto` call (bindings), where a loop copies an ASCII frame
 * in half that; Node's and workerd's `encodeInto` are faster than any loop (~90 and ~120 ns).
 * `navigator.userAgentData` exists in Chromium-based browsers only.
 */
const COPY_IN_JS = typeof navigator === "object" && navigator !== null && navigator.userAgentData !== undefined;

/** Copies `text` into `bytes` if it is all ASCII (else what was written is garbage). */
function copyAscii(text, bytes) {
  const n = text.length;
  let all = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    all |= c;
    bytes[i] = c;
  }
  return all < 128;
}

/** The integer of the last frame `shortFrame` recognised. */
let shortValue = 0;

/**
 * The shape of a short frame (the prefix, a JSON integer of 1 to 15 digits, `}`), its
 * integer left in `shortValue`; 0 for any other text. The contract is in short.rs.
 */
function shortFrame(data) {
  const end = data.length - 1;
  if (end >= SHORT_MAX || data.charCodeAt(end) !== 125) return 0;
  let shape = 0;
  let start = 0;
  if (data.startsWith(TAKEN_PREFIX)) {
    shape = SHORT_TAKEN;
    start = TAKEN_PREFIX.length;
  } else if (data.startsWith(PONG_PREFIX)) {
    shape = SHORT_PONG;
    start = PONG_PREFIX.length;
  } else {
    return 0;
  }
  const digits = end - start;
  if (digits < 1 || digits > MAX_DIGITS || (digits > 1 && data.charCodeAt(start) === 48)) return 0;
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = data.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return 0;
    value = value * 10 + d;
  }
  shortValue = value;
  return shape;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
