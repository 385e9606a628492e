// The CPU of one claiming message task, cold, in Node: what the workerd latency rows cannot
// resolve (in Workers a claim's request leaves only once its task ends, so the task's whole
// CPU is the claim's delay, and the paired rows move ±15 µs from run to run). A new_order
// frame is handed to each path in turn, 1 ms apart with 4 MiB of memory touched in between
// (the caches are cold, as when the simulator and other work run between orders), and the
// time from the frame to the end of its microtasks is taken, in µs:
//   spec       the spec handler's shape: JSON.parse, the type check, its claim's `fetch`;
//   auto       LpClient with `autoClaim` (the claim started in wasm as the frame is read),
//              a listener that joins it with `claim(id)`;
//   listener   LpClient without it: the `order` listener calls `claim(id)`.
// `fetch` is a stub that reads its arguments and answers 409 in a later task (a claim
// lost: a definite answer, nothing reconciled), the same for every path. The package is
// the optimised release build (pkg/), as shipped; `node tests/bench/claim-task.mjs [frames]
// [glue]` prints JSON (run.mjs's `task` section runs it in a process of its own, since it
// replaces the global `fetch`); [glue] is another build's rampwire_lp.js, for A/B.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ScriptedWebSocket } from "./throughput.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GLUE = path.resolve(process.argv[3] ?? path.join(HERE, "../../pkg/rampwire_lp.js"));
const N = Number(process.argv[2] ?? 1000);
const { initSync, LpClient } = await import(GLUE);
initSync({ module: readFileSync(GLUE.replace(/rampwire_lp\.js$/, "rampwire_lp_bg.wasm")) });

const junk = new Uint8Array(4 << 20);
const thrash = () => {
  let s = 0;
  for (let i = 0; i < junk.length; i += 64) s += junk[i]++;
  return s;
};
let claims = 0;
globalThis.fetch = (url, init) => {
  if (url.endsWith("/claim") && init.method === "POST") claims++;
  return new Promise((r) => setTimeout(() => r(new Response('{"error":"taken"}', { status: 409 })), 0));
};

const frame = (id) => JSON.stringify({ type: "new_order", order: { id, amount_fiat: 5000 + (id % 100), currency: "NGN", amount_usd: 12.5, crypto_symbol: "USDT", crypto_chain: "tron", status: "open", created_at: "2026-05-03T12:00:00.000Z" } });

function spec() {
  return (data) => {
    const msg = JSON.parse(data);
    if (msg.type !== "new_order") return;
    const init = { method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer lp_bench" }, body: "{}" };
    const p = fetch(`https://api.rampwire.app/api/orders/${msg.order.id}/claim`, init);
    (async () => {
      try {
        await (await p).text();
      } catch {}
    })();
  };
}

async function lpClient(auto) {
  const options = { apiUrl: "https://api.rampwire.app", lpKey: "lp_bench", heartbeatMs: 3_600_000, WebSocket: ScriptedWebSocket };
  if (auto) Object.assign(options, { autoClaim: true, orderFilter: { currencies: ["NGN"] } });
  const client = new LpClient(options);
  client.on("order", (o) => void client.claim(o.id).catch(() => {}));
  await client.connect();
  const ws = ScriptedWebSocket.last;
  return (data) => ws.onmessage({ data });
}

const paths = { spec: spec(), auto: await lpClient(true), listener: await lpClient(false) };
const names = Object.keys(paths);
const times = Object.fromEntries(names.map((n) => [n, []]));
let id = 200_000;
for (let i = 0; i < N; i++) {
  // Rotated, so that no path always follows another.
  for (let k = 0; k < names.length; k++) {
    const name = names[(i + k) % names.length];
    thrash();
    await new Promise((r) => setTimeout(r, 1));
    const data = frame(++id);
    const t0 = performance.now();
    paths[name](data);
    await null; // the task's microtasks
    times[name].push((performance.now() - t0) * 1000);
  }
}
await new Promise((r) => setTimeout(r, 20)); // the last answers
const q = (a, p) => a[Math.floor(p * (a.length - 1))];
const out = { frames: N, claims, expected: N * names.length };
for (const name of names) {
  // The first quarter (at most 100) is the engines' warm-up, not a running bot's state.
  const a = times[name].slice(Math.min(100, N >> 2)).sort((x, y) => x - y);
  out[name] = { p50: q(a, 0.5), p90: q(a, 0.9), p99: q(a, 0.99) };
}
console.log(JSON.stringify(out));
process.exit(0);
