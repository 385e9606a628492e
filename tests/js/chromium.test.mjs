// The scenarios in headless Chromium (Debian's, through playwright-core), against the
// optimised release package in pkg/, each with its own simulator.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { scenarios } from "./scenarios.mjs";
import { startSim, ROOT } from "./sim.mjs";
import { serveStatic, launchChromium } from "./static.mjs";

let server, browser;
before(async () => {
  server = await serveStatic(ROOT);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

for (const name of Object.keys(scenarios)) {
  test(`chromium: ${name}`, async () => {
    // The page drives the simulator's control API from its own origin: allowed explicitly.
    const sim = await startSim(["--complete-after-ms", "200", "--control-cors-origin", server.url]);
    const page = await browser.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    try {
      await page.goto(`${server.url}/tests/js/browser-harness.html`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 10000 });
      const r = await page.evaluate(([n, base]) => window.runScenario(n, base), [name, sim.base]);
      assert.equal(r, "ok");
      assert.deepEqual(problems, [], "no uncaught page errors");
    } finally {
      await page.close();
      await sim.stop();
    }
  });
}
