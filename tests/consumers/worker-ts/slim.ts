// Type-checked only: loading the module oneself in a Worker, with the typed .wasm subpath.
import { initSync, LpClient } from "rampwire-lp/slim";
import wasm from "rampwire-lp/rampwire_lp_bg.wasm";

const module: WebAssembly.Module = wasm;
initSync({ module });
export const client = new LpClient({ apiUrl: "https://api.rampwire.app", lpKey: "lp_x" });
