// A CPU profile of the workerd latency bot (tests/bench/worker-bot.mjs) through workerd's
// inspector: where a message task's time goes, per function, for one CLIENT. Not a test and
// not part of `make bench`; run it by hand while working on the claim path:
//   CLIENT=pair node tests/bench/workerd-profile.mjs [orders] [interval µs]
// It prints the functions by self and by inclusive time (µs per order, both clients of a
// pair together) and writes the .cpuprofile to target/bench/ (Chromium's DevTools open it).
// WORKER=<path> profiles another copy of worker-bot.mjs (one importing a `wasm-pack build
// --profiling` output, say); MINIFLARE_WORKERD_V8_FLAGS passes V8 flags to workerd
// (`--no-liftoff`: every wasm function optimised from the start). The profiler's own cost
// inflates every figure; compare functions and clients within one profile.
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { startSim, until, ROOT, KEY, KEY2 } from "../js/sim.mjs";
import { workerd } from "../js/workerd.mjs";

const CLIENT = process.env.CLIENT ?? "pair";
const N = Number(process.argv[2] ?? 600);
const INTERVAL = Number(process.argv[3] ?? 20);
const PAIR = CLIENT.startsWith("pair");

const sim = await startSim(["--complete-after-ms", "600000"], path.join(ROOT, "target/release/rampwire-sim"));
const mf = await workerd(path.join(ROOT, process.env.WORKER ?? "tests/bench/worker-bot.mjs"),
  { API_URL: sim.base, LP_KEY: KEY, LP_KEY2: KEY2, ORDERS: String((PAIR ? 2 : 1) * (N + 40)), CLIENT },
  { inspectorPort: 0, unsafeInspectorProxy: true });
try {
  const inspector = await mf.getInspectorURL();
  const targets = await (await fetch(new URL("/json", inspector.href.replace("ws", "http")))).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let next = 1;
  const waiting = new Map();
  ws.on("message", (m) => {
    const msg = JSON.parse(m);
    waiting.get(msg.id)?.(msg.result), waiting.delete(msg.id);
  });
  const call = (method, params = {}) => new Promise((r) => {
    const id = next++;
    waiting.set(id, r);
    ws.send(JSON.stringify({ id, method, params }));
  });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: INTERVAL });

  const running = mf.dispatchFetch("http://bench.test/");
  await until(async () => {
    const by = (await sim.get("/_sim/connections")).by_lp;
    return (PAIR ? ["12", "13"] : ["12"]).every((lp) => by[lp] >= 1);
  }, 15000, "the bot to connect");
  const orders = async (n) => {
    for (let i = 0; i < n; i++) {
      await sim.order({ currency: "KES", amount_fiat: 1000 + i });
      if (PAIR) await sim.order({ currency: "NGN", amount_fiat: 1000 + i });
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await orders(40); // warm-up, not profiled
  await call("Profiler.start");
  await orders(N);
  const { profile } = await call("Profiler.stop");
  await (await running).text();
  ws.close();

  mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
  const file = path.join(ROOT, `target/bench/workerd-${CLIENT}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));

  // Self and inclusive time per function (µs per order).
  const key = (f) => `${f.functionName || "(anonymous)"} ${path.basename(f.url || "")}:${f.lineNumber + 1}`;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The inspector samples far less often than asked (~100 µs apart while busy): a sample
  // weighs the median gap between two samples in a row outside idle time.
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  const gaps = profile.timeDeltas.filter((d, i) => i > 0 && !idle.has(profile.samples[i]) && !idle.has(profile.samples[i - 1])).sort((a, b) => a - b);
  const WEIGHT = gaps[gaps.length >> 1] ?? INTERVAL;
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const k = key(byId.get(profile.samples[i]).callFrame);
    self.set(k, (self.get(k) ?? 0) + WEIGHT);
  }
  // Inclusive time: a sample counts once for every function on its stack.
  const incl = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const seen = new Set();
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const k = key(byId.get(id).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + WEIGHT);
    }
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).filter(([k]) => !k.startsWith("(idle)"));
  const total = rows.reduce((a, [, v]) => a + v, 0);
  console.log(`${CLIENT}: ${N} orders${PAIR ? " per client" : ""}, busy ${(total / N).toFixed(1)} µs per order (both clients; a sample weighs ${WEIGHT} µs), ${file}`);
  console.log("self:");
  for (const [k, v] of rows.slice(0, 30)) console.log(`${(v / N).toFixed(1).padStart(8)} µs  ${k}`);
  console.log("inclusive:");
  const inc = [...incl].sort((a, b) => b[1] - a[1]).filter(([k]) => !k.startsWith("(root)") && !k.startsWith("(idle)"));
  for (const [k, v] of inc.slice(0, 30)) console.log(`${(v / N).toFixed(1).padStart(8)} µs  ${k}`);
} finally {
  await mf.dispose();
  await sim.stop();
}
