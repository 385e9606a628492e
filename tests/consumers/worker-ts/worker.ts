import { LpClient, LpError, type ClaimResult } from "rampwire-lp";

interface Env {
  API_URL: string;
  LP_KEY: string;
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    let refused: string | undefined;
    try {
      new LpClient({ apiUrl: env.API_URL, lpKey: "" });
    } catch (e) {
      refused = e instanceof LpError ? e.kind : `not an LpError: ${String(e)}`;
    }
    const client = new LpClient({ apiUrl: env.API_URL, lpKey: env.LP_KEY });
    try {
      const { orders } = await client.connect();
      const result: ClaimResult = await client.claim(orders[0].id);
      const lpId = result.status === "claimed" ? result.order.lp_id : null;
      return Response.json({ name: LpClient.name, refused, id: orders[0].id, status: result.status, lpId });
    } finally {
      client.close();
    }
  },
} satisfies ExportedHandler<Env>;
