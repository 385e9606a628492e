// REST for Node over the client's own keep-alive sockets (node:net / node:tls), each
// request written as one prebuilt HTTP/1.1 message. A claim races other LPs: Node's
// `http.request` spends ~100-200 µs building a ClientRequest and writes it only on the
// next tick, `fetch` (undici) more; here a claim's bytes are on the socket before
// `claim()` returns (measured in BENCHMARKS.md, "Discovery → claim latency").
//
// The answer is read by a strict, bounded HTTP/1.1 response reader (status line, headers
// of at most MAX_HEAD bytes, Content-Length or chunked or until close, the body counted
// against the client's cap): anything else is a failed exchange, which the core's flows
// treat as an outcome not known (a claim is then reconciled with GET /api/orders/{id}).
//
// Warm path: while the order stream is open (`warm`), one connection to the API is kept
// ready: opened at connect, and opened again when the server (or a proxy) closes the idle
// one. That costs one TCP (+TLS) connect per server idle timeout, never a request: with
// nginx's default keepalive_timeout of 75 s, 48 connects an hour; at most one a second.
// Installed on the global scope by the package's Node entries (and the CLI) before a
// client is made; host.js finds it there. Browsers and Workers never load this file.

/** Report codes (keep in step with host.js and flows.rs). */
const TIMED_OUT = 1;
const FAILED = 2;
const BODY_TOO_LARGE = 4;
/** Longest answer head (status line + headers) read; Node's own limit is 16 KiB too. */
const MAX_HEAD = 16 * 1024;
/** Longest chunk-size or trailer line of a chunked body. */
const MAX_LINE = 4096;
/** Connections per origin per client; requests beyond wait (bounded) for one. */
const MAX_SOCKETS = 8;
const MAX_WAITING = 512;
/** Re-opening the warm connection: at least this far apart, longer after failures. */
const WARM_GAP_MS = 1000;
const WARM_MAX_GAP_MS = 60_000;
const CRLF2 = Buffer.from("\r\n\r\n");
/** Frame lengths and answers of the host's `handle` (keep in step with host.js, frames.rs). */
const TOO_LARGE = 0xfffffffe;
const BUSY = 0xffffffff;
const MAX_FRAME = 1 << 20;
/** How the provider writes a new_order frame (host.js `rejectUnread`), as bytes. */
const NEW_ORDER = Buffer.from('{"type":"new_order",');
const decoder = new TextDecoder();

/**
 * node:net and node:tls, found at run time rather than imported: this file is bundled
 * into node.cjs, which a user's ES module bundle may include, where a `require` of a
 * built-in fails (process.getBuiltinModule is Node 20.16+; `require` serves older ones).
 */
const builtin = (name) => globalThis.process?.getBuiltinModule?.(name) ?? require(name);
let modules = null;
const MODULES_OF = () => (modules ??= { net: builtin("node:net"), tls: builtin("node:tls") });

/** A failed exchange, as host.js expects it: [code, platform message]. */
const failure = (code, message) => [code, message];

/**
 * One keep-alive connection and the exchange on it (one at a time, no pipelining).
 * `onIdle`/`onGone` tell its origin when it can be reused or is closed.
 */
class Connection {
  constructor(origin) {
    this.origin = origin;
    const { net, tls } = MODULES_OF();
    const o = origin.target;
    this.socket = o.tls
      ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) ? undefined : o.host, ALPNProtocols: ["http/1.1"] })
      : net.connect({ host: o.host, port: o.port });
    this.socket.setNoDelay(true);
    this.ready = false;
    this.gone = false;
    /** closed on the client's own account: its end teaches nothing of the server's limits */
    this.retired = false;
    this.idleSince = 0;
    /** the exchange under way: { resolve, reject, maxBody, state... }, or null */
    this.ex = null;
    this.socket.once(o.tls ? "secureConnect" : "connect", () => (this.ready = true));
    this.socket.on("data", (chunk) => this.data(chunk));
    this.socket.on("end", () => this.end());
    this.socket.on("error", (e) => this.close(String((e && e.message) || "connection failed")));
    this.socket.on("close", () => this.close("the connection closed before the answer was complete"));
  }

  /** Writes `bytes` (one whole request) and reads its answer into `ex`. */
  send(bytes, ex) {
    this.ex = ex;
    // The bytes first (a claim races): the answer's state is read on a later event.
    this.socket.write(bytes);
    ex.head = null;
    ex.status = 0;
    ex.mode = "head";
    ex.chunks = [];
    ex.size = 0;
    ex.reuse = true;
    this.socket.ref();
  }

  /** Ends the exchange under way (if any) and the connection. */
  close(message, code = FAILED) {
    if (this.gone) return;
    this.gone = true;
    const ex = this.ex;
    this.ex = null;
    this.socket.destroy();
    this.origin.gone(this);
    if (ex !== null) ex.settle(false, failure(code, message));
  }

  /** The answer is complete: settle it, then reuse the connection or close it. */
  done(ex, text) {
    this.ex = null;
    ex.settle(true, [ex.status, text]);
    if (ex.reuse && !this.gone) {
      this.idleSince = performance.now();
      this.socket.unref();
      this.origin.idle(this);
    } else this.close("");
  }

  end() {
    const ex = this.ex;
    if (ex !== null && ex.mode === "close") this.done(ex, this.text(ex));
    else this.close("the connection closed before the answer was complete");
  }

  data(chunk) {
    const ex = this.ex;
    // Bytes nobody asked for: the connection is no longer in step with the server.
    if (ex === null) {
      this.retired = true;
      return this.close("");
    }
    try {
      this.read(ex, chunk);
    } catch (e) {
      if (this.ex === ex) this.close(e.message, e.code ?? FAILED);
    }
  }

  /** Feeds `chunk` to the answer reader of `ex`. */
  read(ex, chunk) {
    let at = 0;
    while (this.ex === ex && at < chunk.length) {
      if (ex.mode === "head") {
        const buf = ex.head === null ? chunk.subarray(at) : Buffer.concat([ex.head, chunk.subarray(at)]);
        const end = buf.indexOf(CRLF2);
        if (end < 0) {
          if (buf.length > MAX_HEAD) throw bad("the answer's headers are too large");
          ex.head = buf;
          return;
        }
        if (end > MAX_HEAD) throw bad("the answer's headers are too large");
        const consumed = end + 4 - (ex.head === null ? 0 : ex.head.length);
        ex.head = null;
        this.head(ex, buf.toString("latin1", 0, end));
        at += consumed;
        if (ex.mode === "done") return this.finish(ex, at < chunk.length);
      } else if (ex.mode === "length") {
        const take = Math.min(ex.left, chunk.length - at);
        this.body(ex, chunk.subarray(at, at + take));
        at += take;
        ex.left -= take;
        if (ex.left === 0) return this.finish(ex, at < chunk.length);
      } else if (ex.mode === "close") {
        this.body(ex, chunk.subarray(at));
        return;
      } else {
        at = this.chunked(ex, chunk, at);
        if (ex.mode === "done") return this.finish(ex, at < chunk.length);
      }
    }
  }

  /** The answer ended with `extra` bytes after it: it is used, the connection is not. */
  finish(ex, extra) {
    if (extra) ex.reuse = false;
    this.done(ex, this.text(ex));
  }

  /** Parses an answer head (without its blank line) and sets how the body is read. */
  head(ex, text) {
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/.exec(lines[0]);
    if (m === null) throw bad("the answer is not HTTP/1.1");
    const status = Number(m[2]);
    if (m[1] === "0") ex.reuse = false;
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const h = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(lines[i]);
      if (h === null) throw bad("the answer has a malformed header");
      const name = h[1].toLowerCase();
      if (name === "content-length") {
        if (!/^\d{1,15}$/.test(h[2]) || (length >= 0 && Number(h[2]) !== length)) throw bad("the answer has an invalid Content-Length");
        length = Number(h[2]);
      } else if (name === "transfer-encoding") {
        if (h[2].toLowerCase() !== "chunked" || chunked) throw bad("the answer has an unsupported Transfer-Encoding");
        chunked = true;
      } else if (name === "connection" && /(^|,)\s*close\s*(,|$)/i.test(h[2])) {
        ex.reuse = false;
      }
    }
    if (status < 200) {
      // 100 Continue and other interim answers are skipped; 101 would switch protocols.
      if (status === 101) throw bad("the server switched protocols");
      return;
    }
    ex.status = status;
    if (chunked && length >= 0) throw bad("the answer has both Content-Length and Transfer-Encoding");
    if (status === 204 || status === 304 || ex.method === "HEAD") ex.mode = "done";
    else if (chunked) {
      ex.mode = "size";
      ex.line = "";
    } else if (length >= 0) {
      if (length > ex.maxBody) throw tooLarge();
      ex.left = length;
      ex.mode = length === 0 ? "done" : "length";
    } else {
      ex.mode = "close";
      ex.reuse = false;
    }
  }

  /** Counts and keeps body bytes; past the cap the exchange fails. */
  body(ex, bytes) {
    ex.size += bytes.length;
    if (ex.size > ex.maxBody) throw tooLarge();
    if (bytes.length > 0) ex.chunks.push(bytes);
  }

  /** Reads chunked body framing from `chunk` at `at`; returns where it stopped. */
  chunked(ex, chunk, at) {
    while (at < chunk.length && ex.mode !== "done") {
      if (ex.mode === "data") {
        const take = Math.min(ex.left, chunk.length - at);
        this.body(ex, chunk.subarray(at, at + take));
        at += take;
        ex.left -= take;
        if (ex.left === 0) {
          ex.mode = "crlf";
          ex.line = "";
        }
        continue;
      }
      // size, crlf and trailer states read lines.
      const nl = chunk.indexOf(10, at);
      const end = nl < 0 ? chunk.length : nl + 1;
      ex.line += chunk.toString("latin1", at, end);
      at = end;
      if (ex.line.length > MAX_LINE) throw bad("the answer's chunked body is malformed");
      if (nl < 0) break;
      const line = ex.line;
      ex.line = "";
      if (!line.endsWith("\r\n")) throw bad("the answer's chunked body is malformed");
      const content = line.slice(0, -2);
      if (ex.mode === "crlf") {
        if (content !== "") throw bad("the answer's chunked body is malformed");
        ex.mode = "size";
      } else if (ex.mode === "size") {
        const m = /^([0-9A-Fa-f]{1,8})[ \t]*(;.*)?$/.exec(content);
        if (m === null) throw bad("the answer's chunked body is malformed");
        const n = parseInt(m[1], 16);
        if (ex.size + n > ex.maxBody) throw tooLarge();
        if (n === 0) ex.mode = "trailer";
        else {
          ex.left = n;
          ex.mode = "data";
        }
      } else if (content === "") {
        ex.mode = "done"; // the blank line after the trailers
      }
    }
    return at;
  }

  text(ex) {
    const c = ex.chunks;
    return c.length === 0 ? "" : decoder.decode(c.length === 1 ? c[0] : Buffer.concat(c));
  }
}

function bad(message) {
  const e = new Error(message);
  e.code = FAILED;
  return e;
}

function tooLarge() {
  const e = new Error("answer body too large");
  e.code = BODY_TOO_LARGE;
  return e;
}

/** How much sooner than the server's idle limit a connection counts as too old to use. */
const margin = (limit) => Math.min(250, limit / 10);

/** One origin's connections for one client: idle ones (newest last), busy ones, waiting requests. */
class Origin {
  constructor(target) {
    this.target = target;
    this.all = new Set();
    this.idleList = [];
    this.waiting = [];
    this.warm = false;
    this.warmTimer = undefined;
    this.warmGap = WARM_GAP_MS;
    this.lastWarm = -Infinity;
    /** how long the server was last seen to let an unused connection idle before closing it */
    this.idleLimit = Infinity;
    this.closed = false;
  }

  /** Whether idle connection `c` can take a request now: it cannot race the server's idle close. */
  fresh(c, now) {
    return !c.gone && (!c.ready || now - c.idleSince < this.idleLimit - margin(this.idleLimit));
  }

  /** A connection for the next request: the newest fresh idle one, else a new one (null: all busy). */
  take() {
    const now = performance.now();
    for (let i = this.idleList.length - 1; i >= 0; i--) {
      const c = this.idleList[i];
      if (this.fresh(c, now)) {
        this.idleList.splice(i, 1);
        return c;
      }
    }
    // Old idle connections are left for the server to close (that is how its limit is
    // learnt), unless one is needed to stay within MAX_SOCKETS.
    if (this.all.size >= MAX_SOCKETS) {
      const old = this.idleList.find((c) => !c.gone);
      if (old === undefined) return null;
      this.retire(old);
    }
    return this.open();
  }

  open() {
    const c = new Connection(this);
    this.all.add(c);
    return c;
  }

  /** Closes idle connection `c` on the client's own account (nothing learnt from it). */
  retire(c) {
    c.retired = true;
    c.close("");
  }

  idle(c) {
    const next = this.waiting.shift();
    if (next !== undefined) return next(c);
    this.idleList.push(c);
    this.keepWarm();
  }

  gone(c) {
    this.all.delete(c);
    const i = this.idleList.indexOf(c);
    if (i >= 0) {
      this.idleList.splice(i, 1);
      if (!c.retired) {
        // The server closed a connection nobody used: learn how long it lets one idle (the
        // latest such time, so one close for another reason, a restart, is soon forgotten).
        const idleFor = c.ready ? performance.now() - c.idleSince : 0;
        if (idleFor > 500) this.idleLimit = idleFor;
        this.warmGap = c.ready ? WARM_GAP_MS : Math.min(this.warmGap * 2, WARM_MAX_GAP_MS);
      }
    }
    const next = this.waiting.shift();
    if (next !== undefined) {
      const fresh = this.take();
      if (fresh !== null) next(fresh);
      else this.waiting.unshift(next);
    }
    this.keepWarm();
  }

  /**
   * While warm, keeps one fresh connection idle: opened when there is none, and a new one
   * just before the newest would be too old (the old one is left to the server, which
   * teaches its limit); never more often than once per warmGap.
   */
  keepWarm() {
    if (!this.warm || this.closed) return;
    const now = performance.now();
    let newest = null;
    for (const c of this.idleList) if (!c.gone && (newest === null || c.idleSince >= newest.idleSince)) newest = c;
    let at;
    if (newest === null || !this.fresh(newest, now)) at = now;
    else if (Number.isFinite(this.idleLimit)) at = newest.idleSince + this.idleLimit - margin(this.idleLimit);
    else at = Infinity;
    clearTimeout(this.warmTimer);
    this.warmTimer = undefined;
    if (at === Infinity) return;
    at = Math.max(at, this.lastWarm + this.warmGap);
    // Due now: opened at once, so a request made right after (the first claim after
    // connect) finds it rather than opening a second one.
    if (at <= now && this.all.size < MAX_SOCKETS) return this.rewarm();
    this.warmTimer = setTimeout(() => this.rewarm(), Math.max(0, at - now));
    this.warmTimer.unref?.();
  }

  rewarm() {
    this.warmTimer = undefined;
    if (!this.warm || this.closed) return;
    const now = performance.now();
    // A connection that outlived the limit shows the server lets them idle longer.
    const old = this.idleList.filter((c) => !c.gone && c.ready && !this.fresh(c, now));
    for (const c of old) this.idleLimit = Math.max(this.idleLimit, now - c.idleSince);
    // One old connection is kept for the server to close; older ones are let go.
    for (const c of old.slice(0, -1)) this.retire(c);
    if (!this.idleList.some((c) => this.fresh(c, now)) && this.all.size < MAX_SOCKETS) {
      this.lastWarm = now;
      const c = this.open();
      c.idleSince = now;
      c.socket.unref();
      this.idleList.push(c);
    }
    this.keepWarm();
  }

  setWarm(on) {
    this.warm = on;
    if (on) this.keepWarm();
    else {
      clearTimeout(this.warmTimer);
      this.warmTimer = undefined;
    }
  }

  destroy() {
    this.closed = true;
    this.setWarm(false);
    for (const c of [...this.all]) {
      c.retired = true;
      c.close("the client was freed");
    }
    for (const w of this.waiting.splice(0)) w(null);
  }
}

/**
 * A client's connections, per origin (a client talks to one API; bounded anyway), and
 * its prebuilt request heads. The key is held only in a private field.
 */
class Pool {
  #auth;
  constructor(authorization) {
    // A header value cannot carry control characters (Node's http refused them too).
    this.#auth = /^[\x20-\x7e]*$/.test(authorization) ? authorization : null;
    this.origins = new Map();
    this.warmed = null;
  }

  origin(url) {
    for (const [prefix, o] of this.origins) if (url.startsWith(prefix) && url.charCodeAt(prefix.length) === 47) return [o, url.slice(prefix.length)];
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    const tls = u.protocol === "https:";
    const target = {
      tls,
      host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(u.port) || (tls ? 443 : 80),
      // Prebuilt once: a request is its method, path and these bytes.
      post: ` HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${this.#auth}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
      get: ` HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${this.#auth}\r\n\r\n`,
    };
    if (this.origins.size >= 4) {
      const [oldest, o] = this.origins.entries().next().value;
      o.destroy();
      this.origins.delete(oldest);
    }
    const o = new Origin(target);
    this.origins.set(u.origin, o);
    return [o, url.slice(u.origin.length)];
  }

  /**
   * One exchange: resolves with [status, body text]; rejects with [code, platform
   * message]. No redirect is followed. The timeout covers waiting for a connection,
   * the head and the body.
   */
  exchange(url, post, timeoutMs, maxBody) {
    return new Promise((resolve, reject) => {
      if (this.#auth === null) return reject(failure(FAILED, "the key holds characters an HTTP header cannot carry"));
      let found;
      try {
        found = this.origin(url);
      } catch (e) {
        found = null;
      }
      if (found === null) return reject(failure(FAILED, "invalid request URL"));
      const [origin, path] = found;
      if (origin.closed) return reject(failure(FAILED, "the client was freed"));
      if (!/^\/[\x21-\x7e]*$/.test(path)) return reject(failure(FAILED, "invalid request path"));
      let timer;
      let conn = null;
      const ex = {
        method: post ? "POST" : "GET",
        maxBody,
        settled: false,
        settle(ok, value) {
          if (ex.settled) return;
          ex.settled = true;
          clearTimeout(timer);
          (ok ? resolve : reject)(value);
        },
      };
      const start = (c) => {
        if (ex.settled) {
          if (c !== null) origin.idle(c);
          return;
        }
        if (c === null) return ex.settle(false, failure(FAILED, "the client was freed"));
        conn = c;
        c.send((post ? "POST " : "GET ") + path + (post ? origin.target.post : origin.target.get), ex);
      };
      const c = origin.take();
      if (c !== null) {
        start(c);
        origin.keepWarm();
      }
      else if (origin.waiting.length >= MAX_WAITING) return reject(failure(FAILED, "too many requests waiting for a connection"));
      else origin.waiting.push(start);
      // Armed after the request is on its way: nothing that can wait comes before it.
      timer = setTimeout(() => {
        if (conn !== null && conn.ex === ex) conn.close("timed out", TIMED_OUT);
        else {
          const i = origin.waiting.indexOf(start);
          if (i >= 0) origin.waiting.splice(i, 1);
          ex.settle(false, failure(TIMED_OUT, "timed out"));
        }
      }, timeoutMs);
    });
  }

  /** Keeps a connection to `url`'s origin ready (`on`), or stops re-opening it. */
  warm(url, on) {
    if (on) {
      let found = null;
      try {
        found = this.origin(url + "/");
      } catch (_) {
        /* an invalid API URL fails its requests instead */
      }
      if (found === null) return;
      if (this.warmed !== null && this.warmed !== found[0]) this.warmed.setWarm(false);
      this.warmed = found[0];
      found[0].setWarm(true);
    } else if (this.warmed !== null) this.warmed.setWarm(false);
  }

  /**
   * Takes what Node does with `host`'s socket `ws` (id `id`; host.js `open`): the warm
   * connection from its open on, and, for the ws package's sockets, the text frames as
   * the bytes ws read (`readFrame`). Returns whether it reads the frames.
   */
  attach(host, id, ws) {
    ws.addEventListener?.("open", () => {
      // Orders may come from now on: a claim should find its connection open.
      if (host.ws === ws) this.warm(host.apiUrl, true);
    });
    // The ws package (8 and later): "message" gives a text frame as a Buffer, checked UTF-8.
    if (typeof ws.on !== "function" || typeof ws.pause !== "function" || !("isPaused" in ws)) return false;
    const needles = host.needles === null ? null : host.needles.map((t) => Buffer.from(t));
    ws.on("message", (data, isBinary) => {
      if (host.ws === ws && !host.closed) readFrame(host, id, data, isBinary, needles);
    });
    return true;
  }

  /** Ends every connection (the client was freed); later exchanges open new ones. */
  destroy() {
    for (const o of this.origins.values()) o.destroy();
    this.origins.clear();
    this.warmed = null;
  }
}

/**
 * host.js `frame` for the bytes of a text frame: they are copied into wasm as ws read
 * them (no string made, then encoded back), the quick reject runs on the bytes, and the
 * text events point into is made only when the frame has events to deliver. `needles`:
 * the host's, as bytes.
 */
function readFrame(host, id, data, isBinary, needles) {
  if (isBinary || !Buffer.isBuffer(data)) return host.frame(id, isBinary ? data : String(data));
  // A WebSocket's UTF-8 decode drops a leading byte-order mark (the global one does); ws keeps it.
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
  const n = data.length;
  if (needles !== null && rejectBytes(data, needles)) {
    host.unreadOn = id;
    return;
  }
  let length = TOO_LARGE;
  if (n <= MAX_FRAME) {
    if (n > host.cap) host.grow(n);
    host.views();
    if (n <= host.cap) {
      host.u8.set(data, host.ptr);
      length = n;
    }
  }
  const count = host.handle(id, length);
  if (count === 0) return;
  const text = data.toString();
  if (count === BUSY) queueMicrotask(() => host.frame(id, text));
  else host.deliver(count, text, text.length === n);
}

/** host.js `rejectUnread` on a frame's bytes, `needles` as bytes (the contract is in filter.rs). */
function rejectBytes(data, needles) {
  const from = NEW_ORDER.length;
  if (data.length < from || NEW_ORDER.compare(data, 0, from) !== 0) return false;
  for (let i = 0; i < needles.length; i++) if (data.indexOf(needles[i], from) >= 0) return false;
  return data.indexOf('"type"', from) < 0 && data.indexOf("\\", from) < 0;
}

const transport = {
  /** A client's connections; `destroy()`ed when the client is freed. */
  pool: (authorization) => new Pool(authorization),
};

/** Makes every client of this process (made from now on) use this transport. */
export function installNodeTransport() {
  globalThis[Symbol.for("rampwire-lp.node-http")] ??= transport;
}
