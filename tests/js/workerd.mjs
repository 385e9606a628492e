// Miniflare (workerd) for a module Worker that imports the wasm-pack --target web package.
import { Miniflare } from "miniflare";
import { ROOT } from "./sim.mjs";

/**
 * A Miniflare running `scriptPath` (modules resolved from the repository root);
 * `extra` adds Miniflare options (Durable Objects, persistence).
 */
export async function workerd(scriptPath, bindings = {}, extra = {}) {
  const mf = new Miniflare({
    modules: true,
    modulesRoot: ROOT,
    scriptPath,
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
