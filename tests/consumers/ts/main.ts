import { LpClient, LpError, type ClaimResult, type Order } from "rampwire-lp";

const apiUrl = process.env.API_URL ?? "";
let refused: string | undefined;
try {
  new LpClient({ apiUrl, lpKey: "" });
} catch (e) {
  refused = e instanceof LpError ? e.kind : `not an LpError: ${String(e)}`;
}
const client = new LpClient({ apiUrl, lpKey: process.env.LP_KEY ?? "" });
const { orders } = await client.connect();
const first: Order = orders[0];
const limit = first.amount_fiat === null ? 0 : first.amount_fiat;
const result: ClaimResult = await client.claim(first.id);
const lpId: number | null = result.status === "claimed" ? result.order.lp_id : null;
client.close();
console.log(JSON.stringify({ name: LpClient.name, refused, id: first.id, status: result.status, lpId, limit: limit >= 0 }));
