// `rampwire-lp` for bundlers that do not emit the .wasm file (esbuild), dev servers, and
// any runtime without a more specific condition: the .wasm travels inside this file
// (deflate-raw, base64) and `init()` inflates it with the platform's DecompressionStream.
// Bundlers that do emit it (webpack, Vite and Parcel builds) get rampwire_lp.js instead.
import initCore from "./rampwire_lp.js";

export * from "./rampwire_lp.js";

/** Instantiates the module (once; later calls resolve at once); call before `new LpClient`. */
export default function init(input) {
  return initCore(input ?? { module_or_path: inflate() });
}
export { init };

function inflate() {
  const text = atob(WASM_DEFLATE_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"))).arrayBuffer();
}
