// The package's core module, `rampwire_lp.js` (also the `rampwire-lp/slim` entry and the
// browser entry for bundlers that emit the .wasm file): wasm-bindgen's glue with host.js
// bundled in, plus `LpError` and a named `init`. Nothing is initialised here: the entries
// beside it do that, each the way its runtime allows (scripts/pkg-manifest.mjs).
import { LpClient } from "rampwire-lp:glue";
import { LpError } from "rampwire-lp:host";

export { default, default as init, initSync, LpClient } from "rampwire-lp:glue";
export { LpError } from "rampwire-lp:host";

// Names that survive a user's bundler renaming the bindings (esbuild's LpClient2, a
// minifier's single letters): LpClient.name, stack traces, console.log.
Object.defineProperty(LpClient, "name", { value: "LpClient" });
Object.defineProperty(LpError, "name", { value: "LpError" });
