// Turns wasm-pack's --target web output in pkg/ into the npm package: one entry per runtime,
// each initialising the module itself (sources in src/js/entries/), typed, with source maps,
// the package's own README, and package.json's conditional exports. Run by build-pkg.sh.
//
//   rampwire_lp.js      core: the glue + host.js (no initialisation); `/slim`; browsers whose
//                       bundler emits the .wasm (webpack, Vite/Parcel builds)
//   rampwire_lp_bg.wasm the module (workerd, browsers, `/slim`; `./rampwire_lp_bg.wasm`)
//   workerd.js          Cloudflare Workers: imports the .wasm as a WebAssembly.Module
//   node.cjs, node.mjs  Node (require, import): the .wasm inlined (brotli) so single-file
//                       bundles work; node.mjs re-exports node.cjs (one instance)
//   inline.js           esbuild, dev servers, unknown runtimes: the .wasm inlined (deflate-raw)
//   edge/               `rampwire-lp/edge`: the Workers bot (edge/bot.mjs) and its policy
//   shared.js           `rampwire-lp/shared`: LpClient's API for many tabs, backed by
//   shared-worker.js    the one client in a SharedWorker (or a leader tab's Worker)
//   shared-autoclaim.js its auto-claim (the bot build's engine), loaded on first use
import { readFileSync, writeFileSync, copyFileSync, existsSync, rmSync, mkdirSync, readdirSync } from "node:fs";
import { brotliCompressSync, constants as zc } from "node:zlib";
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";
import { minify } from "terser";
import { shortNames } from "./short-names.mjs";

const require = createRequire(import.meta.url);
const zopfli = require("@gfx/zopfli");
const ENTRIES = "src/js/entries";
const pkg = (f) => `pkg/${f}`;
const raw = JSON.parse(readFileSync(pkg("package.json"), "utf8"));
const snippet = (() => {
  const m = /from '(\.\/snippets\/[^']+\/host\.js)'/.exec(readFileSync(pkg("rampwire_lp.js"), "utf8"));
  if (!m) throw new Error("pkg-manifest: the glue does not import host.js");
  return pkg(m[1].slice(2));
})();

// 1. `new LpClient` before the module is instantiated: an LpError that says what to do,
//    not "Cannot read properties of undefined (reading 'lpclient_new')".
const NOT_INITIALIZED =
  "rampwire-lp is not initialised: call `await init()` once before `new LpClient()` " +
  "(`import init, { LpClient } from \"rampwire-lp\"`; with \"rampwire-lp/slim\", `initSync({ module })` or `await init({ module_or_path })`)";
patch(pkg("rampwire_lp.js"), "    constructor(options) {\n        const ret = wasm.lpclient_new(options);",
  `    constructor(options) {\n        if (wasm === undefined) throw makeLpError("not_initialized", ${JSON.stringify(NOT_INITIALIZED)});\n        const ret = wasm.lpclient_new(options);`);

// 2. wasm-bindgen's loading warnings, worded shorter (the budget counts every byte).
{
  let glueText = readFileSync(pkg("rampwire_lp.js"), "utf8");
  for (const [re, to] of [
    [/using deprecated parameters for `initSync\(\)`; pass a single object instead/, "rampwire-lp: call initSync({ module })"],
    [/using deprecated parameters for the initialization function; pass a single object instead/, "rampwire-lp: call init({ module_or_path })"],
    [/`WebAssembly\.instantiateStreaming` failed because your server does not serve Wasm with `application\/wasm` MIME type\. Falling back to `WebAssembly\.instantiate` which is slower\. Original error:\\n/, "rampwire-lp: serve the .wasm as application/wasm (instantiated the slower way):"],
  ]) glueText = glueText.replace(re, to);
  writeFileSync(pkg("rampwire_lp.js"), glueText);
}

// 2b. The wasm's names get short ones, in the module and the glue alike (after the patches
//     above, which find the glue by its names).
shortNames(pkg("rampwire_lp_bg.wasm"), pkg("rampwire_lp.js"), "./rampwire_lp_bg.js");

// 3. The JS files, bundled (glue + host.js) or copied, then minified with class names kept
//    (`LpClient.name === "LpClient"`), with source maps back to the readable sources.
const wasm = readFileSync(pkg("rampwire_lp_bg.wasm"));
const brotli = brotliCompressSync(wasm, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_LGWIN]: 24, [zc.BROTLI_PARAM_SIZE_HINT]: wasm.length } });
const deflated = await new Promise((resolve, reject) => zopfli.deflate(wasm, { numiterations: 15 }, (e, out) => (e ? reject(e) : resolve(Buffer.from(out)))));
const glue = path.resolve(pkg("rampwire_lp.js"));
const host = path.resolve(snippet);
const internal = {
  name: "rampwire-lp-internal",
  setup(b) {
    const paths = { "rampwire-lp:glue": glue, "rampwire-lp:host": host, "rampwire-lp:node-http": path.resolve("src/js/node-http.js") };
    b.onResolve({ filter: /^rampwire-lp:/ }, (a) => ({ path: paths[a.path] ?? host }));
  },
};
const outputs = [
  // [source, output, format, bundle (true: all; "local": its own helper files, the
  //  package's entries stay imports; false: the sibling files stay imports), defines]
  ["core.js", "rampwire_lp.js", "esm", true, {}],
  ["workerd.js", "workerd.js", "esm", false, {}],
  ["inline.js", "inline.js", "esm", false, { WASM_DEFLATE_BASE64: JSON.stringify(deflated.toString("base64")) }],
  ["node.js", "node.cjs", "cjs", true, { WASM_BROTLI_BASE64: JSON.stringify(brotli.toString("base64")), "import.meta.url": "undefined" }],
  ["node.mjs", "node.mjs", "esm", false, {}],
  ["shared.js", "shared.js", "esm", "local", {}],
  ["shared-worker.js", "shared-worker.js", "esm", "local", {}],
  // Auto-claim in the shared worker: imported by it only when a tab turns auto-claim on.
  ["shared-autoclaim.js", "shared-autoclaim.js", "esm", "local", {}],
];
const results = [];
for (const [source, output, format, bundle, define] of outputs) {
  const r = await build({
    entryPoints: [`${ENTRIES}/${source}`],
    bundle: true,
    write: false,
    format,
    platform: format === "cjs" ? "node" : "neutral",
    target: "es2022",
    define,
    plugins: bundle === true ? [internal] : [],
    external: bundle === true ? ["node:*"] : bundle === "local" ? ["./rampwire_lp.js", "./inline.js", "./shared-autoclaim.js", "./bot/*", "./drivers/*"] : ["./*"],
    sourcemap: "external",
    sourcesContent: true,
    legalComments: "none",
    logLevel: "warning",
    outfile: pkg(output),
  });
  let js = r.outputFiles.find((f) => f.path.endsWith(output)).text;
  if (bundle === true) {
    // esbuild hoists `class LpClient` into `var LpClient = class {`, whose name is only
    // inferred from the binding: a user's bundler that renames the binding (esbuild's
    // LpClient2) renames the class. Named class expressions keep their names.
    for (const name of ["LpClient", "LpError"]) {
      const re = new RegExp(`var ${name} = class (?=extends |\\{)`);
      if (!re.test(js)) throw new Error(`pkg-manifest: no \`var ${name} = class\` in the ${output} bundle`);
      js = js.replace(re, `var ${name} = class ${name} `);
    }
  }
  const map = JSON.parse(r.outputFiles.find((f) => f.path.endsWith(".map")).text);
  results.push([output, js, map, format]);
}
// Only now: the core's bundle replaces the glue it was made of.
rmSync(pkg("snippets"), { recursive: true, force: true });
for (const [output, js, map, format] of results) {
  // Sources named as a reader looks for them, never as paths of the build machine.
  map.sources = map.sources.map((s) => {
    const abs = path.resolve("pkg", s);
    if (abs === host) return "rampwire-lp/src/js/host.js";
    if (abs === glue) return "rampwire-lp/wasm-bindgen/rampwire_lp.js";
    return `rampwire-lp/${path.relative(".", abs)}`;
  });
  const min = await minify(js, {
    module: format === "esm",
    ecma: 2022,
    compress: { passes: 2 },
    // The public classes keep their names: `LpClient.name`, stack traces, console.log.
    mangle: { reserved: ["LpClient", "LpError"] },
    keep_classnames: /^Lp(Client|Error)$/,
    toplevel: true,
    // Short lines: Node prints the source line of an uncaught error, and a one-line file
    // is a 70 KB line (a newline costs what a semicolon does).
    format: { comments: false, max_line_len: 400, semicolons: false },
    sourceMap: { content: map, filename: output, url: `${output}.map` },
  });
  writeFileSync(pkg(output), min.code);
  writeFileSync(pkg(`${output}.map`), min.map);
}

// 4. Types: wasm-bindgen's declarations without DOM names (a Node-only project has none)
//    and without the raw wasm exports; one copy per module system (.d.cts for require).
const dtsPath = pkg("rampwire_lp.d.ts");
let dts = readFileSync(dtsPath, "utf8");
dts = replaceOnce(dts, /export type InitInput = [^\n]*\n/, "export type InitInput = RequestLike | BufferSourceLike | WasmModule;\n");
dts = replaceOnce(dts, /export type SyncInitInput = [^\n]*\n/, "export type SyncInitInput = BufferSourceLike | WasmModule;\n");
dts = replaceOnce(dts, /export interface InitOutput \{[\s\S]*?\n\}/,
  "/** The instantiated module (its exports are internal). */\nexport interface InitOutput {\n    readonly memory: WasmMemory;\n}");
dts = replaceOnce(dts, /\/\*\*\n \* Instantiates the given `module`[\s\S]*?\*\/\nexport function initSync/,
  "/**\n * Instantiates the module from its bytes or a compiled `WebAssembly.Module`, synchronously\n * (once: later calls return at once). Only `rampwire-lp/slim` needs it; the other entries\n * instantiate the module themselves.\n */\nexport function initSync");
dts = replaceOnce(dts, /\/\*\*\n \* If `module_or_path` is[\s\S]*?\*\/\nexport default function __wbg_init/,
  "/**\n * Instantiates the module (once: later calls resolve at once). In a browser, call\n * `await init()` once before `new LpClient`; in Node and Workers the module is ready on\n * import and `init()` resolves at once. `module_or_path`: where the .wasm is (a URL, a\n * `Response`, bytes, or a compiled module), for `rampwire-lp/slim`.\n */\nexport default function __wbg_init");
// Signatures client.rs declares loosely: the socket claim's own result type; waitForStatus
// with a literal status (a misspelled one does not compile) and its options optional.
dts = replaceOnce(dts, /claimWs\(id: number\): Promise<ClaimResult>;/, "claimWs(id: number): Promise<WsClaimResult>;");
dts = replaceOnce(dts, /waitForStatus\(id: number, status: string, options: WaitOptions \| undefined\): Promise<RestOrder>;/,
  "waitForStatus(id: number, status: OrderStatus, options?: WaitOptions): Promise<RestOrder>;");
dts += "\nexport { __wbg_init as init };\n";
// (No `any` in them: tests/js/types.test.mjs checks, rather than stopping the build here.)
writeFileSync(dtsPath, dts);
writeFileSync(pkg("rampwire_lp.d.cts"), dts);
writeFileSync(pkg("rampwire_lp_bg.wasm.d.ts"),
  "/* The compiled module, for Cloudflare Workers (`import wasm from \"rampwire-lp/rampwire_lp_bg.wasm\"`,\n" +
  "   then `initSync({ module: wasm })` from \"rampwire-lp/slim\"); elsewhere a bundler's asset. */\n" +
  "import type { WasmModule } from \"./rampwire_lp.js\";\ndeclare const module: WasmModule;\nexport default module;\n");

// 5. rampwire-lp/edge: the Workers bot, importing the package's bot build (its Workers
//    entry, made by scripts/build-bot.sh) and the bot driver.
mkdirSync(pkg("edge"), { recursive: true });
let bot = readFileSync("edge/bot.mjs", "utf8");
for (const [from, to] of [['from "rampwire-lp/bot";', 'from "../bot/workerd.js";'], ['from "rampwire-lp/driver";', 'from "../drivers/bot-driver.mjs";']]) {
  if (!bot.includes(from)) throw new Error(`pkg-manifest: edge/bot.mjs does not import ${from}`);
  bot = bot.replace(from, to);
}
writeFileSync(pkg("edge/index.js"), bot);
// Its modules (config, log, metrics, alerts, history, ...) beside it, as they are.
for (const f of readdirSync("edge")) if (f.endsWith(".mjs") && f !== "bot.mjs" && f !== "worker.mjs") copyFileSync(`edge/${f}`, pkg(`edge/${f}`));
copyFileSync(`${ENTRIES}/edge.d.ts`, pkg("edge/index.d.ts"));
copyFileSync(`${ENTRIES}/shared.d.ts`, pkg("shared.d.ts"));

// 6. package.json: conditional exports, `workerd` first (wrangler resolves
//    workerd → worker → browser in the order of the keys). Types sit in each leaf: a
//    top-level `types` would win over `require` and give CommonJS projects ESM types.
const esmTypes = "./rampwire_lp.d.ts";
const cjsTypes = "./rampwire_lp.d.cts";
const browser = {
  // Bundlers that emit the `new URL("rampwire_lp_bg.wasm", import.meta.url)` asset; dev
  // servers (pre-bundling deps with esbuild) and esbuild take the inlined module.
  webpack: { types: esmTypes, default: "./rampwire_lp.js" },
  development: { types: esmTypes, default: "./inline.js" },
  production: { types: esmTypes, default: "./rampwire_lp.js" },
  default: { types: esmTypes, default: "./inline.js" },
};
const node = {
  import: { types: esmTypes, default: "./node.mjs" },
  require: { types: cjsTypes, default: "./node.cjs" },
};
const manifest = {
  name: "rampwire-lp",
  version: raw.version,
  description: raw.description,
  license: raw.license,
  keywords: raw.keywords,
  type: "module",
  main: "./node.cjs",
  module: "./inline.js",
  types: esmTypes,
  exports: {
    ".": {
      workerd: { types: esmTypes, default: "./workerd.js" },
      worker: browser,
      node,
      browser,
      import: { types: esmTypes, default: "./inline.js" },
      require: { types: cjsTypes, default: "./node.cjs" },
      default: { types: esmTypes, default: "./inline.js" },
    },
    "./slim": { types: esmTypes, default: "./rampwire_lp.js" },
    "./rampwire_lp_bg.wasm": { types: "./rampwire_lp_bg.wasm.d.ts", default: "./rampwire_lp_bg.wasm" },
    // Many tabs, one socket: the client in a SharedWorker (the worker is its own file so
    // bundlers emit it from `new URL("./shared-worker.js", import.meta.url)`).
    "./shared": { types: "./shared.d.ts", default: "./shared.js" },
    "./shared-worker.js": "./shared-worker.js",
    "./edge": { types: "./edge/index.d.ts", workerd: "./edge/index.js", default: "./edge/index.js" },
    // The bot build: LpClient and BotEngine in one module (only bots load the engine).
    "./bot": { workerd: "./bot/workerd.js", node: "./bot/node.mjs", default: "./bot/rampwire_lp_bot.js" },
    "./driver": "./drivers/bot-driver.mjs",
    "./package.json": "./package.json",
  },
  files: ["*.js", "*.cjs", "*.mjs", "*.map", "*.d.ts", "*.d.cts", "rampwire_lp_bg.wasm", "edge/", "bot/", "drivers/", "README.md", "CHANGELOG.md", "LICENSE"],
  // `npx rampwire-lp bot ...`: the Node CLI bot.
  bin: { "rampwire-lp": "drivers/bin.mjs" },
  // Entries whose import initialises the module must not be tree-shaken away.
  sideEffects: ["./workerd.js", "./node.cjs", "./node.mjs", "./edge/index.js", "./bot/workerd.js", "./bot/node.mjs"],
  engines: { node: ">=20" },
};
writeFileSync(pkg("package.json"), JSON.stringify(manifest, null, 2) + "\n");
rmSync(pkg(".gitignore"), { force: true });

// 7. Texts for npm: the users' README (not the developers'), the changelog, the licence.
copyFileSync("src/js/README.md", pkg("README.md"));
for (const f of ["CHANGELOG.md", "LICENSE"]) if (existsSync(f)) copyFileSync(f, pkg(f));

function patch(file, from, to) {
  const text = readFileSync(file, "utf8");
  if (text.split(from).length !== 2) throw new Error(`pkg-manifest: ${file} does not contain exactly one ${JSON.stringify(from.slice(0, 60))}`);
  writeFileSync(file, text.replace(from, to));
}

function replaceOnce(text, re, to) {
  if (!re.test(text)) throw new Error(`pkg-manifest: the declarations have no ${re}`);
  return text.replace(re, to);
}
