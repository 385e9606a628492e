// Miniflare (workerd) for a module Worker, bundled first as wrangler does: esbuild with the
// Workers conditions (`workerd`, `worker`, `browser`), so `import … from "rampwire-lp"`
// resolves through pkg/package.json's exports (node_modules/rampwire-lp links to pkg/,
// made by scripts/build-pkg.sh) and the .wasm stays a module of its own (CompiledWasm).
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { createHash } from "node:crypto";
import path from "node:path";
import { ROOT } from "./sim.mjs";

/** Bundles `scriptPath` into target/workerd/<hash>/; returns the bundle's path. */
export async function bundleWorker(scriptPath) {
  const outdir = path.join(ROOT, "target/workerd", createHash("sha256").update(scriptPath).digest("hex").slice(0, 12));
  await build({
    entryPoints: [scriptPath],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    loader: { ".wasm": "copy" },
    outdir,
    entryNames: "worker",
    logLevel: "error",
  });
  return path.join(outdir, "worker.js");
}

/**
 * A Miniflare running `scriptPath`; `extra` adds Miniflare options (Durable Objects,
 * persistence).
 */
export async function workerd(scriptPath, bindings = {}, extra = {}) {
  const script = await bundleWorker(scriptPath);
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
