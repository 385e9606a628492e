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

/**
 * Opens `n` dashboard tabs of `url` in one browser profile (`ctx`), each connected with
 * `key`; resolves once every one says Live. Page errors go to `errors`.
 */
export async function openTabs(ctx, url, n, key, errors) {
  const pages = [];
  for (let i = 0; i < n; i++) {
    const p = await ctx.newPage();
    p.on("pageerror", (e) => errors.push(e.message));
    await p.goto(`${url}/`);
    await p.waitForSelector("body[data-ready=true]");
    await p.fill("#lp-key", key);
    await p.press("#lp-key", "Enter");
    pages.push(p);
  }
  await Promise.all(pages.map((p) => p.waitForFunction(() => document.querySelector("#badge").textContent === "Live", null, { timeout: 10000 })));
  return pages;
}
