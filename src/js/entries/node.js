// `rampwire-lp` in Node, built into node.cjs (CommonJS: `require` works on every Node
// ≥ 20, with or without require(esm)); node.mjs re-exports it for `import`, so a program
// that does both gets one module. The .wasm is inlined (brotli, base64) so that a
// single-file bundle of a program (esbuild, ncc) still finds it; it is instantiated
// synchronously on load.
import { initSync, LpClient } from "rampwire-lp:glue";
import { LpError } from "rampwire-lp:host";
import { installNodeTransport } from "rampwire-lp:node-http";

// REST over node:http(s) with keep-alive (node-http.js): only Node entries carry it.
installNodeTransport();

// process.getBuiltinModule (Node 20.16+) first: an ES module bundle of a program (esbuild
// --format=esm) has no `require` to give this CommonJS file.
const zlib = process.getBuiltinModule?.("node:zlib") ?? require("node:zlib");
initSync({ module: zlib.brotliDecompressSync(Buffer.from(WASM_BROTLI_BASE64, "base64")) });

// Names that survive a user's bundler renaming the bindings (esbuild's LpClient2, a
// minifier's single letters): LpClient.name, stack traces, console.log.
Object.defineProperty(LpClient, "name", { value: "LpClient" });
Object.defineProperty(LpError, "name", { value: "LpError" });

// console.log(client) / util.inspect: the client's state, not its wasm pointer.
LpClient.prototype[Symbol.for("nodejs.util.inspect.custom")] = function inspect() {
  return `LpClient { state: ${JSON.stringify(this.state)}, lpId: ${this.lpId} }`;
};

export { default, default as init, initSync, LpClient } from "rampwire-lp:glue";
export { LpError } from "rampwire-lp:host";
