// What every dashboard suite starts: a rampwire-sim of its own, the page (`www/`) served
// with the package at `/pkg/` and a `config.json` that points it at that simulator, and
// headless Chromium; and stops them again.
import path from "node:path";
import { startSim, ROOT } from "./sim.mjs";
import { serveStatic, launchChromium } from "./static.mjs";

/** Serves `www/` for simulator `sim`; `config` is added to its `config.json`. */
export function serveDashboard(sim, config = {}) {
  return serveStatic(path.join(ROOT, "www"), {
    mounts: { "/pkg/": path.join(ROOT, "pkg") },
    files: { "/config.json": JSON.stringify({ apiUrl: sim.base, ...config }) },
  });
}

/** A simulator started with `simArgs`, the page served for it, and Chromium. */
export async function startDashboard(simArgs, config = {}) {
  const sim = await startSim(simArgs);
  const web = await serveDashboard(sim, config);
  const browser = await launchChromium();
  return { sim, web, browser };
}

/** Stops what `startDashboard` started (any part may be missing if it failed). */
export async function stopDashboard({ sim, web, browser }) {
  await browser?.close();
  await web?.close();
  await sim?.stop();
}
