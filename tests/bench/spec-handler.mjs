// The spec bot's handler in plain JS, runtime-agnostic (the latency benchmark runs it in
// Chromium and in workerd as each runtime's own baseline): URL auth with the KES filter,
// JSON.parse, and an HTTP claim for every new order. Returns a function that closes it.
// `wsBase`: the socket's origin where it is not the API's (a page that proxies the API).
// `currency`: the one subscribed to (the paired benchmark gives each client its own).
// `safe`: with the two fetch options LpClient's claims carry for safety, an abort signal (a
// claim's timeout; the controller made ahead of need, as LpClient does) and
// `redirect: "manual"` (a redirected claim is never re-sent): what they cost the runtime.
// `burn`: [before, after], loop turns of busy work before and after its `fetch` call (the
// benchmark's BURN=before:after, workerd control row): in Workers a request leaves only
// once the task is over, so work after the call delays the claim as much as work before it
// (20000 turns: +535 µs before, +605 µs after, stop 30).
export function specHandler(base, key, seen = () => {}, wsBase = base.replace("http", "ws"), currency = "KES", safe = false, burn = [0, 0]) {
  const spin = (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) x += Math.sqrt(i + (x % 7));
    return x;
  };
  let spare = safe ? new AbortController() : null;
  const ws = new WebSocket(`${wsBase}/ws/orders?lp_key=${encodeURIComponent(key)}&currencies=${currency}`);
  ws.addEventListener("message", async (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type !== "new_order") return;
    seen();
    try {
      const init = { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` }, body: "{}" };
      if (safe) {
        init.signal = (spare ?? new AbortController()).signal;
        init.redirect = "manual";
        spare = null;
      }
      if (burn[0]) spin(burn[0]);
      const p = fetch(`${base}/api/orders/${msg.order.id}/claim`, init);
      if (burn[1]) spin(burn[1]);
      const res = await p;
      await res.text();
    } catch {
    } finally {
      // The next claim's controller, made once this one's answer is in (as LpClient does).
      if (safe && spare === null) spare = new AbortController();
    }
  });
  return () => ws.close();
}
