// `rampwire-lp` in Node, built into node.cjs (CommonJS: `require` works on every Node
// ≥ 20, with or without require(esm)); node.mjs re-exports it for `import`, so a program
// that does both gets one module. The .wasm is inlined (brotli, base64) so that a
// single-file bundle of a program (esbuild, ncc) still finds it; it is instantiated
// synchronously on load.
import { brotliDecompressSync } from "node:zlib";
import { initSync, LpClient } from "rampwire-lp:glue";

initSync({ module: brotliDecompressSync(Buffer.from(WASM_BROTLI_BASE64, "base64")) });

// console.log(client) / util.inspect: the client's state, not its wasm pointer.
LpClient.prototype[Symbol.for("nodejs.util.inspect.custom")] = function inspect() {
  return `LpClient { state: ${JSON.stringify(this.state)}, lpId: ${this.lpId} }`;
};

export { default, default as init, initSync, LpClient } from "rampwire-lp:glue";
export { LpError } from "rampwire-lp:host";
