// The costliest frame a hostile server can send within the 1 MiB frame limit: an `init`
// holding ~74,000 minimal orders in scrambled id order. Measures how long LpClient's
// handling of that one frame blocks Node's event loop (the socket's message handler,
// timed around the client's own), at 1k, 10k and 70k orders: it must grow linearly and
// stay within 50 ms (issue 14).
import { WebSocketServer, WebSocket } from "ws";

/** An init frame of `n` orders `{"id":…}` with ids scrambled (a bijection of 1..n). */
export function hostileInit(n) {
  const parts = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = `{"id":${((i * 7919) % n) + 1}}`;
  return `{"type":"init","orders":[${parts.join(",")}],"lp_id":12,"currencies":[]}`;
}

/** Rows [orders, frame bytes, ms handling the frame (best of `rounds`), ns per order, book size]. */
export async function worstFrame(LpClient, sizes = [1_000, 10_000, 70_000], rounds = 5) {
  const rows = [];
  for (const n of sizes) {
    const frame = hostileInit(n);
    let best = Infinity;
    let book = 0;
    for (let r = 0; r < rounds; r++) {
      const { ms, size } = await once(LpClient, frame);
      best = Math.min(best, ms);
      book = size;
    }
    rows.push([n, Buffer.byteLength(frame), best, (best * 1e6) / n, book]);
  }
  return rows;
}

/** One connection that receives `frame` as its init; resolves with the handler's time. */
async function once(LpClient, frame) {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 2 << 20 });
  await new Promise((r) => server.once("listening", r));
  server.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "auth_required", message: "auth" }));
    ws.once("message", () => ws.send(frame));
  });
  let handled = 0;
  /** ws's WebSocket with the message handler LpClient installs timed around it. */
  class Timed extends WebSocket {
    set onmessage(fn) {
      super.onmessage = fn && ((e) => {
        const t = performance.now();
        fn(e);
        if (String(e.data).startsWith('{"type":"init"')) handled = performance.now() - t;
      });
    }
    get onmessage() {
      return super.onmessage;
    }
  }
  const port = server.address().port;
  const client = new LpClient({ apiUrl: `http://127.0.0.1:${port}`, lpKey: "lp_bench", WebSocket: Timed, connectTimeoutMs: 10_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return { ms: handled, size: client.openOrders().length };
  } finally {
    client.close();
    client.free();
    await new Promise((r) => server.close(r));
  }
}
