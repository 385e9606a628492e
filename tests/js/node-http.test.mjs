// The Node REST transport's answer reader (src/js/node-http.js) against a raw TCP server
// written here that answers with scripted bytes: framings a real server may use (chunked,
// byte by byte, interim 100, HTTP/1.0 until close) are read; broken or ambiguous ones
// (both lengths, oversized heads, bad chunks, garbage, unsolicited bytes) fail the one
// exchange with a typed error, never the process; connections are reused only when safe.
//   node --experimental-websocket --test tests/js/node-http.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { LpClient } from "rampwire-lp";
import { order } from "./hostile-server.mjs";

const KEY = "lp_a1b2c3d4";
const body = (id) => JSON.stringify(order(id));
const ok = (id, head = "") => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${head}Content-Length: ${Buffer.byteLength(body(id))}\r\n\r\n${body(id)}`;

/**
 * A server on 127.0.0.1 whose answer to `GET /api/orders/{id}` is `script(id)`: a string
 * (written at once), an array (written piece by piece), or a function of the socket.
 */
async function rawServer(script) {
  const conns = [];
  const server = net.createServer((socket) => {
    conns.push(socket);
    socket.on("error", () => {});
    let buf = "";
    socket.on("data", async (d) => {
      buf += d.toString("latin1");
      let end;
      while ((end = buf.indexOf("\r\n\r\n")) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const id = Number(/^GET \/api\/orders\/(\d+) /.exec(head)?.[1]);
        const answer = script(id, socket);
        if (typeof answer === "string") socket.write(answer, "latin1");
        else if (Array.isArray(answer)) for (const piece of answer) {
          socket.write(piece, "latin1");
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    conns,
    close: () => new Promise((r) => {
      conns.forEach((s) => s.destroy());
      server.close(r);
    }),
  };
}

async function withClient(script, fn) {
  const srv = await rawServer(script);
  const c = new LpClient({ apiUrl: srv.base, lpKey: KEY, requestTimeoutMs: 2000 });
  try {
    await fn(c, srv);
  } finally {
    c.free();
    await srv.close();
  }
}

const uncaught = [];
process.on("uncaughtException", (e) => uncaught.push(e));

/** Settles `p` as { ok } or { err: { name, kind, message } }. */
const outcome = (p) => p.then((ok) => ({ ok }), (e) => ({ err: { name: e.name, kind: e.kind, message: e.message } }));

test("node-http: framings a server may use are read: chunked (byte by byte too), 100 Continue, HTTP/1.0 until close", async () => {
  const chunked = (id) => {
    const b = body(id);
    return `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(7).toString(16)};ext=1\r\n${b.slice(0, 7)}\r\n${(b.length - 7).toString(16)}\r\n${b.slice(7)}\r\n0\r\nX-Trailer: 1\r\n\r\n`;
  };
  const scripts = {
    1: (id) => ok(id),
    2: (id) => chunked(id),
    3: (id) => [...chunked(id)],
    4: (id) => [...ok(id)],
    5: (id) => `HTTP/1.1 100 Continue\r\n\r\n${ok(id)}`,
    6: (id, s) => {
      s.end(`HTTP/1.0 200 OK\r\n\r\n${body(id)}`);
    },
  };
  await withClient((id, s) => scripts[id](id, s), async (c) => {
    for (const id of Object.keys(scripts).map(Number)) {
      const r = await outcome(c.getOrder(id));
      assert.equal(r.ok?.id, id, `answer ${id} read: ${JSON.stringify(r.err)}`);
    }
  });
  assert.deepEqual(uncaught, []);
});

test("node-http: broken or ambiguous answers fail that exchange with an LpError; the next request works", async () => {
  const broken = {
    10: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`,
    11: `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    12: `HTTP/2 200 OK\r\n\r\n`,
    13: `garbage\r\n\r\n`,
    14: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
    15: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n`,
    16: `HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n`,
    17: `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n`,
    18: `HTTP/1.1 200 OK\r\nBad Header\r\n\r\n`,
    19: `HTTP/1.1 101 Switching Protocols\r\n\r\n`,
    20: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"f".repeat(5000)}`,
  };
  await withClient((id) => broken[id] ?? ok(id), async (c) => {
    for (const id of Object.keys(broken).map(Number)) {
      const r = await outcome(c.getOrder(id));
      assert.equal(r.err?.name, "LpError", `answer ${id} refused: ${JSON.stringify(r)}`);
      assert.ok(!r.err.message.includes(KEY.slice(3)), "no key in the error");
      // The connection it came on is not reused: the next request is answered in full.
      assert.equal((await c.getOrder(100 + id)).id, 100 + id, `a request after answer ${id}`);
    }
  });
  assert.deepEqual(uncaught, []);
});

test("node-http: a connection is reused only when safe (not after Connection: close, extra bytes, or unsolicited bytes)", async () => {
  await withClient((id, s) => {
    if (id === 2) return ok(id, "Connection: close\r\n");
    if (id === 4) return ok(id) + "HTTP/1.1 200 OK\r\n";
    if (id === 6) setTimeout(() => s.write("HTTP/1.1 408 Request Timeout\r\n\r\n"), 50);
    return ok(id);
  }, async (c, srv) => {
    const conns = () => srv.conns.length;
    await c.getOrder(1);
    const first = conns();
    await c.getOrder(2); // Connection: close
    await c.getOrder(3);
    assert.equal(conns(), first + 1, "a new connection after Connection: close");
    await c.getOrder(4); // answer followed by extra bytes
    await c.getOrder(5);
    assert.equal(conns(), first + 2, "a new connection after an answer with bytes past its end");
    await c.getOrder(6); // then the server writes on the idle connection
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await c.getOrder(7)).id, 7, "the request after unsolicited bytes is answered");
    assert.equal(conns(), first + 3, "on a new connection");
    await c.getOrder(8);
    assert.equal(conns(), first + 3, "which is then kept alive");
  });
  assert.deepEqual(uncaught, []);
});
