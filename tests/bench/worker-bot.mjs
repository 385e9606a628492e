// workerd side of the latency benchmark: a bot that claims every order it hears of, for the
// duration of one request (until ORDERS orders were seen, or 120 s). CLIENT=spec runs the
// spec bot's handler in plain JS instead (URL auth, JSON.parse, fetch): what workerd costs.
import { initSync, LpClient } from "../../pkg/rampwire_lp.js";
import wasm from "../../pkg/rampwire_lp_bg.wasm";

initSync({ module: wasm });

/** The spec bot's handler; `seen` is called for each order. */
async function specBot(env, seen) {
  const ws = new WebSocket(`${env.API_URL.replace("http", "ws")}/ws/orders?lp_key=${encodeURIComponent(env.LP_KEY)}&currencies=KES`);
  ws.addEventListener("message", async (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type !== "new_order") return;
    seen();
    try {
      const res = await fetch(`${env.API_URL}/api/orders/${msg.order.id}/claim`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${env.LP_KEY}` }, body: "{}" });
      await res.text();
    } catch {}
  });
  await new Promise((r) => ws.addEventListener("open", r));
  return () => ws.close();
}

async function lpClient(env, seen) {
  const client = new LpClient({ apiUrl: env.API_URL, lpKey: env.LP_KEY });
  client.on("order", (o) => {
    client.claim(o.id).catch(() => {});
    seen();
  });
  await client.connect();
  return () => client.close();
}

export default {
  async fetch(_request, env) {
    let seen = 0;
    let done;
    const finished = new Promise((r) => (done = r));
    const close = await (env.CLIENT === "spec" ? specBot : lpClient)(env, () => {
      if (++seen >= Number(env.ORDERS)) setTimeout(done, 500);
    });
    await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
    close();
    return new Response(String(seen));
  },
};
