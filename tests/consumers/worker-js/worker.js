import { LpClient, LpError } from "rampwire-lp";

export default {
  async fetch(request, env) {
    let refused;
    try {
      new LpClient({ apiUrl: env.API_URL, lpKey: "" });
    } catch (e) {
      refused = e instanceof LpError ? e.kind : `not an LpError: ${e}`;
    }
    const client = new LpClient({ apiUrl: env.API_URL, lpKey: env.LP_KEY });
    try {
      const { orders } = await client.connect();
      const result = await client.claim(orders[0].id);
      return Response.json({ name: LpClient.name, refused, id: orders[0].id, status: result.status, lpId: result.status === "claimed" ? result.order.lp_id : null });
    } finally {
      client.close();
    }
  },
};
