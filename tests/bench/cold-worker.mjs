// The cold-start benchmark's Worker: the package as a Worker loads it (the wasm compiled
// by workerd as a module, instantiated in the global scope by the entry).
import { LpClient } from "rampwire-lp";

export default {
  async fetch(_request, env) {
    const client = new LpClient({ apiUrl: env.API_URL, lpKey: env.LP_KEY });
    const init = await client.connect();
    client.close();
    return new Response(String(init.orders.length));
  },
};
