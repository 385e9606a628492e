// Miniflare (workerd) for a module Worker, bundled first as wrangler does: esbuild with the
// Workers conditions (`workerd`, `worker`, `browser`), so `import … from "rampwire-lp"`
// resolves through pkg/package.json's exports (node_modules/rampwire-lp links to pkg/,
// made by scripts/build-pkg.sh) and the .wasm stays a module of its own (CompiledWasm).
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { createHash } from "node:crypto";
import path from "node:path";
import { ROOT } from "./sim.mjs";

/**
 * Bundles `scriptPath` into `<dir>/<hash>/` (default target/workerd); returns the bundle's
 * path. `plugins`: esbuild plugins of the caller's (the edge harness resolves the package
 * its own way).
 */
export async function bundleWorker(scriptPath, { plugins = [], dir = "target/workerd" } = {}) {
  const outdir = path.join(ROOT, dir, createHash("sha256").update(scriptPath).digest("hex").slice(0, 12));
  await build({
    entryPoints: [scriptPath],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    loader: { ".wasm": "copy" },
    plugins,
    outdir,
    entryNames: "worker",
    logLevel: "error",
  });
  return path.join(outdir, "worker.js");
}

/**
 * A Miniflare running `scriptPath`; `extra` adds Miniflare options (Durable Objects,
 * persistence); `bundling`: options of `bundleWorker`.
 */
export async function workerd(scriptPath, bindings = {}, extra = {}, bundling = {}) {
  const script = await bundleWorker(scriptPath, bundling);
  const mf = new Miniflare({
    modules: true,
    modulesRoot: path.dirname(script),
    scriptPath: script,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-07",
    cf: false,
    bindings,
    ...extra,
  });
  await mf.ready;
  return mf;
}
