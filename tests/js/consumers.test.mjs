// The consumer matrix (issue #16): the built pkg/ packed with `npm pack` and installed, as a
// user installs it, into the fixture projects of tests/consumers/ (their tools pinned in its
// package-lock.json, installed with `npm ci`); each fixture connects to rampwire-sim, reads
// `init`, claims the order made before it connected and reports the outcome. Sequential,
// one tarball, one npm cache.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, rmSync, copyFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { startSim, ROOT, KEY } from "./sim.mjs";
import { serveStatic, launchChromium } from "./static.mjs";

const run = promisify(execFile);
const FIX = path.join(ROOT, "tests/consumers");
const OUT = path.join(ROOT, "target/consumers");
const BIN = path.join(ROOT, "node_modules/.bin");
// Node 20 has a global WebSocket only behind a flag (22 has it on).
const WS_FLAG = Number(process.versions.node.split(".")[0]) >= 22 ? [] : ["--experimental-websocket"];
const matrix = [];

let sim, browser;
before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const npm = (args, cwd) => run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, maxBuffer: 1 << 24 });
  const { stdout } = await npm(["pack", "--json", "--pack-destination", OUT, path.join(ROOT, "pkg")], ROOT);
  const tarball = path.join(OUT, JSON.parse(stdout)[0].filename);
  await npm(["ci", "--prefer-offline"], FIX);
  await npm(["install", "--no-save", "--prefer-offline", tarball], FIX);
  sim = await startSim([]);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await sim?.stop();
  console.log(["", "| consumer | result |", "|---|---|", ...matrix.map(([n, r]) => `| ${n} | ${r} |`)].join("\n"));
});

/**
 * Makes an order (the newest open one), runs `fixture` and checks what it reports, the
 * class's name included: it survives the app's bundler and minifier (Vite, webpack).
 */
async function claims(name, fixture) {
  const order = await sim.order({ currency: "KES", amount_fiat: 1000 });
  const started = Date.now();
  try {
    const report = await fixture(order);
    assert.equal(report.id, order.id, "claimed the order of init");
    assert.equal(report.status, "claimed");
    assert.equal(report.lpId, 12);
    assert.equal(report.name, "LpClient");
    matrix.push([name, `claimed order ${order.id} (${Date.now() - started} ms)`]);
    return report;
  } catch (e) {
    matrix.push([name, `FAILED: ${String(e.message).split("\n")[0]}`]);
    throw e;
  }
}

const env = () => ({ ...process.env, API_URL: sim.base, LP_KEY: KEY });
async function node(args, cwd = FIX) {
  const { stdout } = await run(process.execPath, [...WS_FLAG, ...args], { cwd, env: env() });
  return JSON.parse(stdout.trim().split("\n").pop());
}
const refusedTyped = (r) => assert.equal(r.refused, "invalid_argument", "an LpError instance");

test("consumer: Node ESM (import)", async () => {
  refusedTyped(await claims("Node ESM", () => node(["node-esm/main.mjs"])));
});

test("consumer: Node CommonJS (require)", async () => {
  refusedTyped(await claims("Node CJS", () => node(["node-cjs/main.cjs"])));
});

test("consumer: Node CommonJS with --no-experimental-require-module", async () => {
  refusedTyped(await claims("Node CJS, --no-experimental-require-module", () => node(["--no-experimental-require-module", "node-cjs/main.cjs"])));
});

test("consumer: a single-file esbuild Node bundle, run where no node_modules is", async () => {
  const out = path.join(OUT, "node-bundle/bot.mjs");
  await run(path.join(BIN, "esbuild"), ["node-bundle/main.mjs", "--bundle", "--platform=node", "--format=esm", `--outfile=${out}`, "--log-level=warning"], { cwd: FIX });
  const lonely = mkdtempSync(path.join(tmpdir(), "lp-bundle-"));
  try {
    copyFileSync(out, path.join(lonely, "bot.mjs"));
    refusedTyped(await claims("esbuild Node bundle (one file)", () => node(["bot.mjs"], lonely)));
  } finally {
    rmSync(lonely, { recursive: true, force: true });
  }
});

const tsc = (project) => run(path.join(BIN, "tsc"), ["-p", project], { cwd: FIX }).catch((e) => {
  throw new Error(`tsc -p ${project}: ${e.stdout}`);
});

test("consumer: TypeScript --strict, Node's libs only: bundler, node16, nodenext (then run)", async () => {
  for (const r of ["bundler", "node16", "nodenext"]) await tsc(`ts/tsconfig.${r}.json`);
  matrix.push(["TypeScript strict (lib es2022, types node): bundler, node16, nodenext", "0 errors"]);
  refusedTyped(await claims("TypeScript nodenext output, run", () => node(["ts/dist/nodenext/main.js"])));
});

test("consumer: TypeScript rejects a misspelled status", async () => {
  const failed = await run(path.join(BIN, "tsc"), ["-p", "ts/tsconfig.bad.json"], { cwd: FIX }).then(() => null, (e) => e.stdout);
  assert.ok(failed, "bad.ts must not compile");
  assert.match(failed, /TS2345[^\n]*"complete"/);
  matrix.push(['TypeScript: waitForStatus(id, "complete")', "fails to compile (TS2345), as it must"]);
});

test("consumer: TypeScript node16 in a CommonJS project, run with --no-experimental-require-module", async () => {
  await tsc("ts-cjs/tsconfig.json");
  refusedTyped(await claims("TypeScript node16, CommonJS project", () => node(["--no-experimental-require-module", "ts-cjs/dist/main.js"])));
});

/** Opens a built page in Chromium; returns what app.js reports. */
async function page(dir) {
  const web = await serveStatic(dir);
  const p = await browser.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  try {
    await p.goto(`${web.url}/index.html?${new URLSearchParams({ api: sim.base, key: KEY })}`);
    await p.waitForFunction(() => window.result !== undefined, null, { timeout: 15000 });
    const r = await p.evaluate(() => window.result);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(errors, []);
    assert.equal(r.before, "not_initialized", "new LpClient before init(): an LpError that says so");
    return r;
  } finally {
    await p.close();
    await web.close();
  }
}

test("consumer: Vite build in Chromium", async () => {
  const out = path.join(OUT, "vite");
  await run(path.join(FIX, "node_modules/.bin/vite"), ["build", "browser", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"], { cwd: FIX });
  await claims("Vite build, Chromium", () => page(out));
});

test("consumer: webpack build in Chromium", async () => {
  const out = path.join(OUT, "webpack");
  const webpack = createRequire(path.join(FIX, "package.json"))("webpack");
  const config = createRequire(import.meta.url)(path.join(FIX, "browser/webpack.config.cjs"))({ outDir: out });
  await new Promise((resolve, reject) => webpack(config, (err, stats) => (err || stats.hasErrors() ? reject(err ?? new Error(stats.toString("errors-only"))) : resolve())));
  writeFileSync(path.join(out, "index.html"), '<!doctype html><meta charset="utf-8"><script src="app.js" defer></script>\n');
  await claims("webpack build, Chromium", () => page(out));
});

test("consumer: esbuild browser bundle in Chromium", async () => {
  const out = path.join(OUT, "esbuild");
  await run(path.join(BIN, "esbuild"), ["browser/app.js", "--bundle", "--format=esm", `--outfile=${out}/app.js`, "--log-level=warning"], { cwd: FIX });
  copyFileSync(path.join(FIX, "browser/index.html"), path.join(out, "index.html"));
  await claims("esbuild browser bundle, Chromium", () => page(out));
});

/** Bundles a wrangler project with `wrangler deploy --dry-run`; runs it in workerd. */
async function worker(name) {
  const out = path.join(OUT, name);
  await run(path.join(BIN, "wrangler"), ["deploy", "--dry-run", "--outdir", out], { cwd: path.join(FIX, name), env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const mf = new Miniflare({
    modules: true,
    modulesRoot: out,
    scriptPath: path.join(out, "worker.js"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-07",
    cf: false,
    bindings: { API_URL: sim.base, LP_KEY: KEY },
  });
  try {
    const r = await mf.dispatchFetch("http://worker.test/");
    return await r.json();
  } finally {
    await mf.dispose();
  }
}

test("consumer: wrangler Worker project (JS) in workerd", async () => {
  refusedTyped(await claims("wrangler Worker (JS), workerd", () => worker("worker-js")));
});

test("consumer: wrangler Worker project (TypeScript, workers-types, strict) in workerd", async () => {
  await tsc("worker-ts/tsconfig.json");
  refusedTyped(await claims("wrangler Worker (TS), workerd", () => worker("worker-ts")));
});

test("package: npm publish --dry-run is clean (no warning but the login one of a dry run)", async () => {
  const { stderr } = await run("npm", ["publish", "--dry-run"], { cwd: path.join(ROOT, "pkg") });
  const warnings = stderr.split("\n").filter((l) => /npm (warn|error)/i.test(l) && !/requires you to be logged in/.test(l));
  assert.deepEqual(warnings, []);
  for (const f of ["README.md", "CHANGELOG.md", "LICENSE", "rampwire_lp_bg.wasm", "node.cjs", "workerd.js", "inline.js", "edge/index.js"]) {
    assert.match(stderr, new RegExp(`\\s${f.replace(".", "\\.")}\\n`), `the tarball holds ${f}`);
  }
  matrix.push(["npm publish --dry-run", "clean"]);
});
