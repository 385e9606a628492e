// The scenarios in workerd (Cloudflare's runtime, through Miniflare), against the
// optimised release package, each with its own simulator.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { workerd } from "./workerd.mjs";
import { scenarios } from "./scenarios.mjs";
import { startSim, ROOT } from "./sim.mjs";

let mf;
before(async () => {
  mf = await workerd(path.join(ROOT, "tests/js/worker-harness.mjs"));
});
after(async () => {
  await mf?.dispose();
});

for (const name of Object.keys(scenarios)) {
  test(`workerd: ${name}`, async () => {
    const sim = await startSim(["--complete-after-ms", "200"]);
    try {
      const q = new URLSearchParams({ scenario: name, base: sim.base });
      const r = await mf.dispatchFetch(`http://worker.test/run?${q}`);
      const text = await r.text();
      assert.equal(r.status, 200, text);
    } finally {
      await sim.stop();
    }
  });
}
