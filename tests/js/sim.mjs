// Starts rampwire-sim on an ephemeral loopback port for a JS test, and talks to its control API.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { control } from "./control.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const KEY = "lp_a1b2c3d4";
export const KEY2 = "lp_e5f6a7b8";

/** Starts the simulator (`bin`: its binary; default the debug build, or $RAMPWIRE_SIM). */
export async function startSim(args = [], bin = process.env.RAMPWIRE_SIM ?? path.join(ROOT, "target/debug/rampwire-sim")) {
  const child = spawn(bin, ["--listen", "127.0.0.1:0", ...args], { stdio: ["ignore", "pipe", "ignore"] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once("line", (l) => { rl.close(); resolve(l); });
    child.once("exit", (code) => reject(new Error(`rampwire-sim exited with ${code}`)));
    child.once("error", reject);
  });
  const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
  if (!m) throw new Error(`unexpected first line: ${line}`);
  const base = m[1];
  return {
    base,
    child,
    ...control(base),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill();
    }),
  };
}

export { until, next } from "./control.mjs";
