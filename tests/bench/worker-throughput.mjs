// workerd side of the throughput benchmark: one path per request (timed from outside).
import { initSync, LpClient } from "../../pkg/rampwire_lp.js";
import wasm from "../../pkg/rampwire_lp_bg.wasm";
import { frameMix } from "./frames.mjs";
import { prepare } from "./throughput.mjs";

initSync({ module: wasm });
let frames = null;

export default {
  async fetch(request, env) {
    const path = new URL(request.url).searchParams.get("path");
    frames ??= frameMix(Number(env.FRAMES));
    if (path === "none") return Response.json({ calls: 0 });
    const run = await prepare(LpClient, frames, path);
    const calls = run();
    run.close?.();
    return Response.json({ calls });
  },
};
