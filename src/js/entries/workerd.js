// `rampwire-lp` in Cloudflare Workers (conditions `workerd`): the .wasm imported as a
// compiled WebAssembly.Module (Workers refuse to compile bytes at run time) and
// instantiated at the module's top level, before any handler runs.
import wasm from "./rampwire_lp_bg.wasm";
import { initSync } from "./rampwire_lp.js";

initSync({ module: wasm });

export * from "./rampwire_lp.js";
export { default } from "./rampwire_lp.js";
