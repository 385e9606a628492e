// Message throughput, runtime-agnostic: the same frames go (a) through LpClient's real path,
// from the WebSocket's message handler through wasm to the user's `order` callback, and
// (b) through the plain-JS handler of the spec's example (JSON.parse + type switch +
// callback), in the same runtime and the same loop. A scripted in-process WebSocket
// replaces the network so that only the client's work is measured.
import { POLICY } from "./frames.mjs";

/** An in-process socket the benchmark speaks for: auth_required, then init once authenticated. */
export class ScriptedWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.binaryType = "blob";
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    ScriptedWebSocket.last = this;
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
      this.onmessage?.({ data: '{"type":"auth_required","message":"send auth"}' });
    }, 0);
  }
  send(text) {
    if (text.includes('"auth"')) setTimeout(() => this.onmessage?.({ data: '{"type":"init","orders":[],"lp_id":12,"currencies":[]}' }), 0);
  }
  close() {
    this.readyState = 3;
  }
}

/** The spec's handler shape: JSON.parse, switch on type, callback. */
function plainHandler(onOrder, onTaken) {
  return (raw) => {
    const msg = JSON.parse(raw);
    switch (msg.type) {
      case "new_order": onOrder(msg.order); break;
      case "order_taken": onTaken(msg.order_id); break;
      default: break;
    }
  };
}

/** Returns a function that delivers all frames once through `path` and returns callback count. */
export async function prepare(LpClient, frames, path) {
  let calls = 0;
  if (path === "plain-full" || path === "plain-filter") {
    const filter = path === "plain-filter";
    const h = plainHandler((o) => {
      if (filter && (o.currency !== POLICY.currency || o.amount_fiat >= POLICY.maxFiat)) return;
      calls++;
    }, () => {});
    return () => {
      calls = 0;
      for (let i = 0; i < frames.length; i++) h(frames[i]);
      return calls;
    };
  }
  const real = globalThis.WebSocket;
  globalThis.WebSocket = ScriptedWebSocket;
  const options = { apiUrl: "https://api.rampwire.app", lpKey: "lp_bench", heartbeatMs: 3_600_000, bookCapacity: 1000 };
  if (path === "wasm-filter") options.orderFilter = { currencies: [POLICY.currency], maxAmountFiat: { [POLICY.currency]: POLICY.maxFiat - 1 } };
  const client = new LpClient(options);
  client.on("order", () => calls++);
  await client.connect();
  globalThis.WebSocket = real;
  const ws = ScriptedWebSocket.last;
  return Object.assign(() => {
    calls = 0;
    for (let i = 0; i < frames.length; i++) ws.onmessage({ data: frames[i] });
    return calls;
  }, { close: () => client.close() });
}

export const PATHS = ["plain-full", "wasm-full", "plain-filter", "wasm-filter"];

/**
 * Times every path `rounds` times after one warm-up round, paths interleaved within each
 * round (so drift of the machine hits all alike). Each timed run gets a fresh client, as
 * in workerd: its book fills up and then evicts, as in a long-running session, rather
 * than seeing the same ids again.
 */
export async function measure(LpClient, frames, rounds = 5, now = () => performance.now()) {
  const times = Object.fromEntries(PATHS.map((p) => [p, []]));
  const calls = {};
  for (let round = 0; round <= rounds; round++) {
    for (const path of PATHS) {
      const run = await prepare(LpClient, frames, path);
      const t0 = now();
      calls[path] = run();
      const dt = now() - t0;
      run.close?.();
      if (round > 0) times[path].push(dt);
    }
  }
  const out = {};
  for (const path of PATHS) {
    const sorted = times[path].sort((a, b) => a - b);
    const ms = sorted[sorted.length >> 1];
    out[path] = { ms, calls: calls[path], framesPerSec: Math.round(frames.length / (ms / 1000)) };
  }
  return out;
}
