// Runs the README's three snippets (```js readme=browser|node|worker) against rampwire-sim,
// as written except for the API URL and key; `rampwire-lp` resolves to pkg/ by name (Node:
// a node_modules link; Chromium: an import map; workerd: bundled as wrangler does). Each
// must claim an order open before it connected (the first init) as well as a new one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync, symlinkSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import path from "node:path";
import { workerd } from "./workerd.mjs";
import { startSim, until, ROOT, KEY } from "./sim.mjs";
import { serveStatic, launchChromium } from "./static.mjs";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
function snippet(name) {
  const m = new RegExp("```js readme=" + name + "\\n([\\s\\S]*?)```").exec(readme);
  assert.ok(m, `README has a ${name} snippet`);
  assert.equal(m[1].split("https://api.rampwire.app").length - 1, name === "worker" ? 0 : 1);
  return m[1];
}

/** Waits until the simulator shows `id` claimed by LP 12 and at least at `status`. */
async function claimedBy12(sim, id, statuses) {
  await until(async () => {
    const o = await sim.get(`/_sim/orders/${id}`);
    return o.lp_id === 12 && statuses.includes(o.status);
  }, 10000, `order ${id} to reach ${statuses}`);
}

test("README node snippet: claims, marks fiat sent, waits for completed", async () => {
  const sim = await startSim(["--complete-after-ms", "200"]);
  const dir = path.join(ROOT, "target/readme-node");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  symlinkSync(path.join(ROOT, "pkg"), path.join(dir, "node_modules/rampwire-lp"));
  writeFileSync(path.join(dir, "bot.mjs"), snippet("node").replace("https://api.rampwire.app", sim.base));
  const early = await sim.order({ currency: "KES", amount_fiat: 3000 });
  const flags = Number(process.versions.node.split(".")[0]) >= 22 ? [] : ["--experimental-websocket"];
  const bot = spawn(process.execPath, [...flags, "bot.mjs"], { cwd: dir, env: { ...process.env, LP_KEY: KEY }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  bot.stdout.on("data", (d) => (out += d));
  bot.stderr.on("data", (d) => (out += d));
  try {
    await until(async () => (await sim.get("/_sim/connections")).by_lp["12"] === 1, 10000, `the bot to connect (output: ${out})`);
    const big = await sim.order({ currency: "KES", amount_fiat: 50000 });
    const o = await sim.order({ currency: "KES", amount_fiat: 5000 });
    await claimedBy12(sim, o.id, ["completed"]);
    await claimedBy12(sim, early.id, ["completed"]);
    await until(() => out.includes(`completed ${o.id}`) && out.includes(`completed ${early.id}`), 5000, "the bot's log lines");
    assert.equal((await sim.get(`/_sim/orders/${big.id}`)).status, "open", "over the limit: skipped");
    assert.ok(!out.includes(KEY), "the key is never printed");
  } finally {
    bot.kill();
    await sim.stop();
  }
});

test("README browser snippet: claims and marks fiat sent in Chromium", async () => {
  const sim = await startSim([]);
  const code = `const LP_KEY = ${JSON.stringify(KEY)};\n` + snippet("browser").replace("https://api.rampwire.app", sim.base);
  const html = `<!doctype html><script type="importmap">{"imports":{"rampwire-lp":"/pkg/rampwire_lp.js"}}</script><script type="module" src="/readme.mjs"></script>`;
  const web = await serveStatic(path.join(ROOT, "www"), { mounts: { "/pkg/": path.join(ROOT, "pkg") }, files: { "/readme.html": html, "/readme.mjs": code } });
  const browser = await launchChromium();
  const early = await sim.order({ currency: "KES", amount_fiat: 4000 });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${web.url}/readme.html`);
    await until(async () => (await sim.get("/_sim/connections")).by_lp["12"] === 1, 10000, "the page to connect");
    const o = await sim.order({ currency: "KES", amount_fiat: 7000 });
    await claimedBy12(sim, o.id, ["fiat_sent", "completed"]);
    await claimedBy12(sim, early.id, ["fiat_sent", "completed"]);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await web.close();
    await sim.stop();
  }
});

test("README worker snippet: claims the newest open order in workerd", async () => {
  const sim = await startSim([]);
  const dir = path.join(ROOT, "target/readme-worker");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "worker.mjs"), snippet("worker"));
  const mf = await workerd(path.join(dir, "worker.mjs"), { API_URL: sim.base, LP_KEY: KEY });
  try {
    const o = await sim.order({ currency: "ZAR" });
    const r = await mf.dispatchFetch("http://worker.test/");
    assert.deepEqual(await r.json(), { id: o.id, status: "claimed" });
    assert.equal((await sim.get(`/_sim/orders/${o.id}`)).lp_id, 12);
    const again = await (await mf.dispatchFetch("http://worker.test/")).json();
    assert.deepEqual(again, { status: "nothing open" });
  } finally {
    await mf.dispose();
    await sim.stop();
  }
});
