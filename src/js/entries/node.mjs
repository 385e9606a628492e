// `rampwire-lp` in Node for `import`: the CommonJS build (node.cjs), so that `import` and
// `require` in one program share one module, one wasm instance and one LpError class.
import m from "./node.cjs";

export const { LpClient, LpError, init, initSync } = m;
export default init;
