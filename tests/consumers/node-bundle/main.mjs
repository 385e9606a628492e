import { LpClient, LpError } from "rampwire-lp";

const apiUrl = process.env.API_URL;
let refused;
try {
  new LpClient({ apiUrl, lpKey: "" });
} catch (e) {
  refused = e instanceof LpError ? e.kind : `not an LpError: ${e}`;
}
const client = new LpClient({ apiUrl, lpKey: process.env.LP_KEY });
const { orders } = await client.connect();
const result = await client.claim(orders[0].id);
client.close();
console.log(JSON.stringify({ name: LpClient.name, refused, id: orders[0].id, status: result.status, lpId: result.status === "claimed" ? result.order.lp_id : null }));
