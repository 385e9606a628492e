// workerd side of the latency benchmark: a bot that claims every order it hears of, for the
// duration of one request (until ORDERS orders were seen, or 120 s).
import { initSync, LpClient } from "../../pkg/rampwire_lp.js";
import wasm from "../../pkg/rampwire_lp_bg.wasm";

initSync({ module: wasm });

export default {
  async fetch(_request, env) {
    const client = new LpClient({ apiUrl: env.API_URL, lpKey: env.LP_KEY });
    let seen = 0;
    let done;
    const finished = new Promise((r) => (done = r));
    client.on("order", (o) => {
      client.claim(o.id).catch(() => {});
      if (++seen >= Number(env.ORDERS)) setTimeout(done, 500);
    });
    await client.connect();
    await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
    client.close();
    return new Response(String(seen));
  },
};
