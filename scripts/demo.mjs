// The demo: rampwire-sim with a live order flow, and the dashboard (www/ + pkg/) served
// next to it, pointed at the simulator. Prints the URL to open. Ctrl-C stops both.
import path from "node:path";
import { startSim, ROOT } from "../tests/js/sim.mjs";
import { serveStatic } from "../tests/js/static.mjs";

const rate = process.env.DEMO_RATE ?? "0.5";
// Competitors take a share of the orders, over HTTP (no broadcast: stale rows) and over
// the socket (order_taken), as in production: a newcomer sees races and losses.
const competition = ["--competitors", process.env.DEMO_COMPETITORS ?? "3", "--competitor-share", "0.6", "--competitor-ws-share", "0.5"];
const sim = await startSim(["--rate", rate, "--initial-orders", "8", "--seed", String(Date.now() % 100000), "--complete-after-ms", "5000", ...competition]);
const site = {
  mounts: { "/pkg/": path.join(ROOT, "pkg") },
  files: { "/config.json": JSON.stringify({ apiUrl: sim.base, demoKeys: ["lp_a1b2c3d4", "lp_e5f6a7b8"] }) },
};
const www = path.join(ROOT, "www");
const web = await serveStatic(www, { port: Number(process.env.DEMO_PORT ?? 8080), ...site })
  .catch(() => serveStatic(www, { port: 0, ...site })); // 8080 taken: any free port

console.log(`rampwire-sim  ${sim.base}   keys: lp_a1b2c3d4 (LP 12), lp_e5f6a7b8 (LP 13)`);
console.log(`dashboard     ${web.url}/`);
console.log("\nOpen the dashboard, paste a key, press Connect. Ctrl-C stops the demo.");

const stop = async () => {
  await sim.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
