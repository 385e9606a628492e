// Cold start per runtime: from loading the package to the first `init` from the simulator.
// Node: a fresh process (import of the Node entry, then connect). Chromium: a fresh page
// (import + init() + connect). workerd: Miniflare's start with the package's Worker minus
// its start with an empty one (bundle parse, wasm compile and the global scope's
// instantiation), and the first request's connect to `init`.
import { spawn } from "node:child_process";
import path from "node:path";
import { withHarnessPage } from "../js/static.mjs";
import { workerd } from "../js/workerd.mjs";
import { KEY } from "../js/sim.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function nodeOnce(ROOT, base, nodeFlags) {
  const src = `const t0 = performance.now();
const { LpClient } = await import(${JSON.stringify(path.join(ROOT, "pkg/node.mjs"))});
const t1 = performance.now();
const c = new LpClient({ apiUrl: ${JSON.stringify(base)}, lpKey: ${JSON.stringify(KEY)} });
await c.connect();
const t2 = performance.now();
c.free();
console.log(JSON.stringify({ load: t1 - t0, init: t2 - t0 }));
process.exit(0);`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...nodeFlags, "--input-type=module", "-e", src], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`node exited ${code}`))));
  });
}

/** Medians over `runs` cold starts: { runtime: { load, init } } in ms. */
export async function coldStart({ ROOT, sim, nodeFlags, runs = 5 }) {
  const rows = {};
  const node = [];
  for (let i = 0; i < runs; i++) node.push(await nodeOnce(ROOT, sim.base, nodeFlags));
  rows.Node = { load: median(node.map((r) => r.load)), init: median(node.map((r) => r.init)) };

  const chromium = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    chromium.push(await withHarnessPage(ROOT, (page) => page.evaluate(async ([base, key]) => {
      const t0 = performance.now();
      const { default: init, LpClient } = await import("/pkg/rampwire_lp.js");
      await init();
      const t1 = performance.now();
      const c = new LpClient({ apiUrl: base, lpKey: key });
      await c.connect();
      const t2 = performance.now();
      c.free();
      return { load: t1 - t0, init: t2 - t0 };
    }, [sim.base, KEY])));
  }
  rows.Chromium = { load: median(chromium.map((r) => r.load)), init: median(chromium.map((r) => r.init)) };

  const start = async (file, bindings) => {
    const t0 = performance.now();
    const mf = await workerd(path.join(ROOT, "tests/bench", file), bindings);
    return { mf, ms: performance.now() - t0 };
  };
  const w = [];
  for (let i = 0; i < runs; i++) {
    const empty = await start("cold-empty-worker.mjs", {});
    await empty.mf.dispose();
    const full = await start("cold-worker.mjs", { API_URL: sim.base, LP_KEY: KEY });
    const t0 = performance.now();
    await (await full.mf.dispatchFetch("http://bench.test/")).text();
    const first = performance.now() - t0;
    await full.mf.dispose();
    w.push({ load: Math.max(0, full.ms - empty.ms), init: first });
  }
  rows.workerd = { load: median(w.map((r) => r.load)), init: median(w.map((r) => r.init)), note: "first request: connect → init" };
  return rows;
}
