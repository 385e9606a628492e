// A malicious Rampwire LP API for tests: one HTTP + WebSocket server on 127.0.0.1 (an
// ephemeral port), scripted per test, recording every request and every frame it gets.
// Not rampwire-sim: this one answers whatever a test tells it to (held answers, redirects
// elsewhere, bodies of hundreds of MB streamed lazily, trickled bytes, lies about owners).
//
//   const srv = await startHostile({ lpId: 12 });
//   srv.on("POST", "/api/orders/5/claim", { hold: true }, { status: 200, body: order(5) });
//   srv.on("GET", /^\/api\/orders\/\d+$/, (req) => ({ body: order(req.id, { lp_id: 99 }) }));
//   ... srv.held[0].release({ status: 503 }) ... srv.count("POST", "/api/orders/5/claim")
//   srv.broadcast('{"type":"claimed","order_id":5}'); await srv.close();
//
// An answer (object, or a function of the request returning one, possibly async):
//   status (200), body (string, Buffer, or a value sent as JSON), headers,
//   delayMs (wait before answering), hold (true: parked in `srv.held` until released,
//   `release(answer?)` then sends that answer, or the rest of this one),
//   stream { bytes, chunk = 65536, prefix = "", fill = "x", contentLength = false }: a body
//     of `bytes` bytes written lazily under backpressure, stopped as soon as the client goes,
//   trickle { parts: [...], intervalMs }: the body in pieces, one every intervalMs,
//   destroy: true (cut the connection without an answer).
// Answers given to `on` are used in turn; the last one repeats.
import http from "node:http";
import { WebSocketServer } from "ws";

export const LP_ID = 12;

/** An order as the REST API (and the socket) spells it; `fields` override. */
export function order(id, fields = {}) {
  return {
    id,
    amount_fiat: 1000,
    currency: "KES",
    amount_usd: 7.75,
    crypto_symbol: "USDT",
    crypto_chain: "TRC20",
    status: "open",
    created_at: "2026-01-01T00:00:00Z",
    lp_id: null,
    ...fields,
  };
}

/** The order as its owner `lp` sees it after a claim. */
export const owned = (id, lp = LP_ID, fields = {}) => order(id, { status: "claimed", lp_id: lp, ...fields });

/** A `new_order` frame in the provider's canonical spelling (fields in its order). */
export function newOrderFrame(id, fields = {}) {
  const o = order(id, fields);
  delete o.lp_id;
  return JSON.stringify({ type: "new_order", order: o });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a hostile server. Options: `lpId` (in `init`; null leaves it out), `orders` (init's
 * orders), `currencies`, `init` (a function (conn) => frame text, replacing the default),
 * `pong` (answer pings, default true), `authRequired` (default true).
 */
export async function startHostile(options = {}) {
  const opts = { lpId: LP_ID, orders: [], currencies: [], pong: true, authRequired: true, ...options };
  const requests = [];
  const frames = [];
  const routes = [];
  const held = [];
  const conns = new Set();
  const sockets = new Set();
  const waiters = [];
  let closed = false;
  const notify = () => {
    for (const w of [...waiters]) {
      if (w.pred()) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  };

  const srv = {
    requests,
    /** Frames received from clients: { conn, text, msg (parsed, or undefined) }. */
    frames,
    held,
    conns,
    options: opts,
    /** Hook for every parsed client frame: (msg, conn) => void. Default: claims go unanswered. */
    onFrame: null,

    on(method, path, ...answers) {
      routes.unshift({ method, path, answers, used: 0 });
      return srv;
    },
    /** Requests with this method and path (a string, or a RegExp). */
    matching(method, path) {
      return requests.filter((r) => (method === "*" || r.method === method) && match(path, r.path));
    },
    count(method, path) {
      return srv.matching(method, path).length;
    },
    /** WebSocket claim frames for order `id` (any id when undefined). */
    wsClaims(id) {
      return frames.filter((f) => f.msg?.type === "claim" && (id === undefined || f.msg.order_id === id)).length;
    },
    /** Resolves once `pred()` holds (checked at every request, frame and connection). */
    until(pred, ms = 5000, what = "condition") {
      if (pred()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`hostile server: no ${what} within ${ms} ms`));
        }, ms);
        waiters.push(w);
      });
    },
    waitHeld(n = 1, ms = 5000) {
      return srv.until(() => held.length >= n, ms, `${n} held answers`);
    },
    /** Sends `text` on every open socket (as a text frame). */
    broadcast(text) {
      for (const c of conns) if (c.readyState === 1) c.send(text);
    },
    /** Cuts every socket (no close frame). */
    dropAll() {
      for (const c of conns) c.terminate();
    },
    liveConns() {
      return [...conns].filter((c) => c.readyState === 1 && c.authed);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const h of held) h.release({ destroy: true });
      for (const c of conns) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      server.closeAllConnections?.();
      await new Promise((r) => server.close(() => r()));
    },
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    await new Promise((r) => req.on("end", r));
    const path = req.url;
    const m = /^\/api\/orders\/(\d+)/.exec(path);
    const rec = {
      method: req.method,
      path,
      id: m ? Number(m[1]) : undefined,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
      at: performance.now(),
      bytesSent: 0,
      clientGone: false,
    };
    requests.push(rec);
    res.on("close", () => {
      if (!res.writableFinished) rec.clientGone = true;
    });
    res.on("error", () => {});
    notify();
    const route = routes.find((r) => (r.method === "*" || r.method === req.method) && match(r.path, path));
    let answer;
    if (route) {
      answer = route.answers[Math.min(route.used, route.answers.length - 1)];
      route.used++;
    } else {
      answer = { status: 404, body: { error: "no such route on the hostile server" } };
    }
    try {
      if (typeof answer === "function") answer = await answer(rec, srv);
      await respond(res, answer ?? {}, rec);
    } catch (e) {
      res.destroy(e);
    }
  });

  async function respond(res, a, rec) {
    if (a.delayMs) await sleep(a.delayMs);
    if (a.hold) {
      const later = await new Promise((resolve) => {
        const h = { req: rec, release: (x) => resolve(x) };
        held.push(h);
        notify();
      });
      a = later ?? { ...a, hold: false };
      if (a.delayMs) await sleep(a.delayMs);
    }
    if (a.destroy || res.destroyed) return res.destroy();
    const status = a.status ?? 200;
    const headers = { ...(a.headers ?? {}) };
    if (a.stream) {
      const { bytes, chunk = 65536, prefix = "", fill = "x", contentLength = false } = a.stream;
      if (contentLength) headers["content-length"] = String(bytes);
      if (!("content-type" in headers)) headers["content-type"] = "application/json";
      res.writeHead(status, headers);
      const block = Buffer.alloc(chunk, fill);
      let sent = 0;
      if (prefix) {
        res.write(prefix);
        sent += Buffer.byteLength(prefix);
      }
      while (sent < bytes && !res.destroyed && !closed) {
        const n = Math.min(chunk, bytes - sent);
        const ok = res.write(n === chunk ? block : block.subarray(0, n));
        sent += n;
        rec.bytesSent = sent;
        if (!ok) {
          await new Promise((r) => {
            const done = () => {
              res.off("drain", done);
              res.off("close", done);
              r();
            };
            res.on("drain", done);
            res.on("close", done);
          });
        }
      }
      if (!res.destroyed) res.end();
      return;
    }
    const body = a.body === undefined ? "" : typeof a.body === "string" || Buffer.isBuffer(a.body) ? a.body : JSON.stringify(a.body);
    if (!("content-type" in headers) && a.body !== undefined) headers["content-type"] = "application/json";
    if (a.trickle) {
      res.writeHead(status, headers);
      for (const part of a.trickle.parts) {
        if (res.destroyed) return;
        res.write(part);
        rec.bytesSent += Buffer.byteLength(part);
        await sleep(a.trickle.intervalMs ?? 100);
      }
      if (!res.destroyed) res.end();
      return;
    }
    if (!("content-length" in headers)) headers["content-length"] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    rec.bytesSent = Buffer.byteLength(body);
    res.end(body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 << 20 });
  let nextConn = 1;
  server.on("upgrade", (req, socket, head) => {
    requests.push({ method: req.method, path: req.url, headers: req.headers, upgrade: true, at: performance.now() });
    notify();
    if (!req.url.startsWith("/ws/orders")) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.id = nextConn++;
      ws.authed = false;
      conns.add(ws);
      ws.on("close", () => {
        conns.delete(ws);
        notify();
      });
      ws.on("error", () => {});
      ws.on("message", (data, binary) => {
        const text = binary ? null : data.toString();
        let msg;
        try {
          msg = JSON.parse(text);
        } catch (_) {}
        frames.push({ conn: ws.id, text, msg });
        if (msg?.type === "auth" && !ws.authed) {
          ws.authed = true;
          ws.send(opts.init ? opts.init(ws) : initFrame(opts));
        } else if (msg?.type === "ping" && opts.pong) {
          ws.send(`{"type":"pong","ts":${Date.now()}}`);
        }
        srv.onFrame?.(msg, ws);
        notify();
      });
      if (opts.authRequired) ws.send('{"type":"auth_required","message":"send auth"}');
      notify();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  srv.port = server.address().port;
  srv.base = `http://127.0.0.1:${srv.port}`;
  return srv;
}

function initFrame(o) {
  const msg = { type: "init", orders: o.orders, currencies: o.currencies };
  if (o.lpId !== null) msg.lp_id = o.lpId;
  return JSON.stringify(msg);
}

function match(path, actual) {
  return path instanceof RegExp ? path.test(actual) : path === actual;
}
