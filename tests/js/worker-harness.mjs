// A Worker that runs one scenario per request, loading the release package the way
// Workers require: a compiled WebAssembly.Module import and initSync at top level.
import { initSync, LpClient } from "../../pkg/rampwire_lp.js";
import wasm from "../../pkg/rampwire_lp_bg.wasm";
import { scenarios } from "./scenarios.mjs";

initSync({ module: wasm });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const name = url.searchParams.get("scenario");
    const base = url.searchParams.get("base");
    if (!(name in scenarios)) return new Response(`unknown scenario ${name}`, { status: 404 });
    try {
      await scenarios[name]({ LpClient, base });
      return new Response("ok");
    } catch (e) {
      return new Response(String(e && e.stack ? e.stack : e), { status: 500 });
    }
  },
};
