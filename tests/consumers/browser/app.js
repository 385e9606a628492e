// One page, built by Vite, webpack and esbuild: ?api=…&key=… says where the API is.
import init, { LpClient, LpError } from "rampwire-lp";

async function run() {
  const q = new URLSearchParams(location.search);
  const apiUrl = q.get("api");
  let before;
  try {
    new LpClient({ apiUrl, lpKey: q.get("key") });
    before = "constructed before init()";
  } catch (e) {
    before = e instanceof LpError ? e.kind : `not an LpError: ${e}`;
  }
  await init();
  const client = new LpClient({ apiUrl, lpKey: q.get("key") });
  const { orders } = await client.connect();
  const result = await client.claim(orders[0].id);
  client.close();
  return { name: LpClient.name, before, id: orders[0].id, status: result.status, lpId: result.status === "claimed" ? result.order.lp_id : null };
}

run().then(
  (r) => (window.result = r),
  (e) => (window.result = { error: String(e && e.stack ? e.stack : e) }),
);
