// The spec bot's handler in plain JS, runtime-agnostic (the latency benchmark runs it in
// Chromium and in workerd as each runtime's own baseline): URL auth with the KES filter,
// JSON.parse, and an HTTP claim for every new order. Returns a function that closes it.
// `wsBase`: the socket's origin where it is not the API's (a page that proxies the API).
// `currency`: the one subscribed to (the paired benchmark gives each client its own).
export function specHandler(base, key, seen = () => {}, wsBase = base.replace("http", "ws"), currency = "KES") {
  const ws = new WebSocket(`${wsBase}/ws/orders?lp_key=${encodeURIComponent(key)}&currencies=${currency}`);
  ws.addEventListener("message", async (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type !== "new_order") return;
    seen();
    try {
      const res = await fetch(`${base}/api/orders/${msg.order.id}/claim`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` }, body: "{}" });
      await res.text();
    } catch {}
  });
  return () => ws.close();
}
