// workerd side of the latency benchmark: a bot that claims every order it hears of, for the
// duration of one request (until ORDERS orders were seen, or 120 s). CLIENT=spec runs the
// spec bot's handler in plain JS instead (URL auth, JSON.parse, fetch): what workerd costs.
import { initSync, LpClient } from "../../pkg/rampwire_lp.js";
import wasm from "../../pkg/rampwire_lp_bg.wasm";
import { specHandler } from "./spec-handler.mjs";

initSync({ module: wasm });

// CLIENT=lp-auto: the claim started in wasm as the frame is read (autoClaim), the
// listener only joins it.
const AUTO = { autoClaim: true, orderFilter: { currencies: ["KES"] } };

async function lpClient(env, seen, options = env.CLIENT === "lp-auto" ? AUTO : {}) {
  const client = new LpClient({ apiUrl: env.API_URL, lpKey: env.LP_KEY, ...options });
  client.on("order", (o) => {
    client.claim(o.id).catch(() => {});
    seen();
  });
  await client.connect();
  return () => client.close();
}

// CLIENT=pair, pair-auto, pair-spec, pair-safe: the spec handler (LP_KEY, KES) and, at once
// in this one isolate, LpClient (LP_KEY2, NGN only; autoClaim for pair-auto) or, as the
// benchmark's control, a second spec handler (pair-spec), or one whose claims carry
// LpClient's abort signal and `redirect: "manual"` (pair-safe). The orders alternate between
// the currencies: each reaches one of the two, and both meet the same moments of the machine.
async function pair(env, seen) {
  const closeSpec = specHandler(env.API_URL, env.LP_KEY, seen);
  const auto = env.CLIENT === "pair-auto" ? { autoClaim: true, orderFilter: { currencies: ["NGN"] } } : {};
  const closeOther = env.CLIENT === "pair-spec" || env.CLIENT === "pair-safe"
    ? specHandler(env.API_URL, env.LP_KEY2, seen, undefined, "NGN", env.CLIENT === "pair-safe", (env.BURN ?? "0:0").split(":").map(Number))
    : await lpClient({ ...env, LP_KEY: env.LP_KEY2 }, seen, { currencies: ["NGN"], ...auto });
  return () => (closeSpec(), closeOther());
}

export default {
  async fetch(_request, env) {
    let seen = 0;
    let done;
    const finished = new Promise((r) => (done = r));
    const count = () => {
      if (++seen >= Number(env.ORDERS)) setTimeout(done, 500);
    };
    const close = env.CLIENT.startsWith("pair") ? await pair(env, count) : env.CLIENT === "spec" ? specHandler(env.API_URL, env.LP_KEY, count) : await lpClient(env, count);
    await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
    close();
    return new Response(String(seen));
  },
};
