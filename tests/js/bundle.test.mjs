// Bundle budget (issues #7, #16): what ONE runtime loads from the optimised release pkg/ —
// its entry, the JS it imports and the wasm (a file of its own, or inlined) — must stay
// within 60 KB gzip -9, for every entry of package.json's exports (a deterministic budget,
// so a test). Source maps and declarations are not loaded at run time and do not count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { ROOT } from "./sim.mjs";

const BUDGET = 60_000;
const PKG = path.join(ROOT, "pkg");
const WASM = "rampwire_lp_bg.wasm";

/**
 * What each runtime loads: its entry (with the JS it imports) and the wasm file when it
 * fetches or imports one (node.cjs and inline.js carry the module inside).
 */
const LOADS = {
  "workerd (Cloudflare Workers)": ["workerd.js", WASM],
  "node import": ["node.mjs"],
  "node require": ["node.cjs"],
  "browser, bundler that emits the .wasm (webpack, Vite/Parcel builds)": ["rampwire_lp.js", WASM],
  "browser, .wasm inlined (esbuild, dev servers, other runtimes)": ["inline.js"],
  "slim (the module loaded by the user)": ["rampwire_lp.js", WASM],
  // rampwire-lp/shared: two realms. The tab loads shared.js (and the core for LpError);
  // the worker loads shared-worker.js, inline.js and the same core (cached once).
  "browser tab, rampwire-lp/shared": ["shared.js"],
  "its worker (shared-worker.js: the one LpClient of every tab)": ["shared-worker.js"],
};

const gz = (file) => gzipSync(readFileSync(path.join(PKG, file)), { level: 9 }).length;

/** The package's own JS files `file` imports (relative specifiers), transitively. */
function graph(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(path.join(PKG, file), "utf8");
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*|\brequire\()\s*["'](\.\.?\/[^"']+)["']/g)) {
    const dep = path.posix.join(path.posix.dirname(file), m[1]);
    if (!dep.endsWith(".wasm")) graph(dep, seen);
  }
  return seen;
}

/** Every file an exports condition can point at (types excluded). */
function exportTargets(node, out = new Set()) {
  if (typeof node === "string") out.add(node.replace(/^\.\//, ""));
  else for (const [k, v] of Object.entries(node)) if (k !== "types") exportTargets(v, out);
  return out;
}

test("every exports entry is accounted for in the budget table", () => {
  assert.ok(existsSync(path.join(PKG, WASM)), "pkg/ holds the wasm (run scripts/build-pkg.sh)");
  const { exports } = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
  const budgeted = new Set(Object.values(LOADS).map((files) => files[0]));
  for (const target of exportTargets(exports)) {
    // The bot build and its users (the edge bot, the driver) are applications of the
    // engine, not client entries: printed below, not budgeted.
    if (target.endsWith(".wasm") || target === "package.json" || /^(edge|bot|drivers)\//.test(target)) continue;
    assert.ok(budgeted.has(target), `exports target ${target} has a row in LOADS`);
  }
});

for (const [runtime, files] of Object.entries(LOADS)) {
  test(`${runtime}: entry + JS + wasm ≤ 60 KB gzip -9`, () => {
    const js = [...graph(files[0])];
    const all = [...js, ...files.slice(1)];
    let total = 0;
    const parts = all.map((f) => {
      const n = gz(f);
      total += n;
      return `${f} ${n}`;
    });
    console.log(`${runtime}: ${total} B gzip (${parts.join(" + ")}; budget ${BUDGET})`);
    assert.ok(total <= BUDGET, `${runtime}: ${total} B gzip is over the ${BUDGET} B budget`);
  });
}

test("rampwire-lp/shared, tab and worker together (each file once; printed, each realm budgeted above)", () => {
  const files = new Set([...graph("shared.js"), ...graph("shared-worker.js")]);
  const total = [...files].reduce((n, f) => n + gz(f), 0);
  console.log(`rampwire-lp/shared, tab + worker: ${total} B gzip (${[...files].map((f) => `${f} ${gz(f)}`).join(" + ")})`);
});

const BOT_WASM = "bot/rampwire_lp_bot_bg.wasm";

test("rampwire-lp/shared with auto-claim on: what the worker loads on the first start (the bot engine; printed, not budgeted)", () => {
  const plain = new Set([...graph("shared.js"), ...graph("shared-worker.js")]);
  const more = [...graph("shared-autoclaim.js")].filter((f) => !plain.has(f));
  // Loaded by `import()` only: the plain worker's static graph must not reach it.
  assert.ok(!plain.has("shared-autoclaim.js") && !more.some((f) => plain.has(f)), "the auto-claim module is not in the plain graph");
  const extra = [...more, BOT_WASM].reduce((n, f) => n + gz(f), 0);
  const base = [...plain].reduce((n, f) => n + gz(f), 0);
  console.log(`rampwire-lp/shared + auto-claim: ${base} + ${extra} = ${base + extra} B gzip (${[...more, BOT_WASM].map((f) => `${f} ${gz(f)}`).join(" + ")})`);
});
for (const [name, entry] of [["rampwire-lp/edge", "edge/index.js"], ["rampwire-lp/bot (workerd)", "bot/workerd.js"], ["rampwire-lp bot (the Node CLI)", "drivers/bin.mjs"]]) {
  test(`${name} (the bot engine's applications, not client entries: printed, not budgeted)`, () => {
    const js = [...graph(entry), ...(entry === "drivers/bin.mjs" ? graph("bot/node.mjs") : [])];
    const total = [...new Set(js), BOT_WASM].reduce((n, f) => n + gz(f), 0);
    console.log(`${name}: ${total} B gzip (${[...new Set(js)].join(", ")}, ${BOT_WASM} ${gz(BOT_WASM)})`);
  });
}
