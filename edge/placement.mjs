// Where the bot's Durable Object runs: its colo, read from Cloudflare's trace endpoint by
// the object itself (a request's `cf.colo` names the colo of the Worker that took the
// request, not the object's). Without an answer the colo is "unknown", said so.

/** The trace endpoint unless COLO_TRACE_URL says (empty: never asked). */
export const TRACE_URL = "https://www.cloudflare.com/cdn-cgi/trace";
const TIMEOUT_MS = 5000;

/** `{ colo, source }`: the object's colo from the trace (`colo=NBO`), or "unknown" and why. */
export async function locate(env, f = (...a) => fetch(...a)) {
  const url = typeof env.COLO_TRACE_URL === "string" ? env.COLO_TRACE_URL : TRACE_URL;
  if (url === "") return { colo: "unknown", source: "COLO_TRACE_URL is empty: not asked" };
  try {
    const r = await f(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = (await r.text()).slice(0, 4096);
    const m = /^colo=([A-Z]{3,4})$/m.exec(text);
    return m ? { colo: m[1], source: "trace" } : { colo: "unknown", source: `no colo in the trace (HTTP ${r.status})` };
  } catch (e) {
    return { colo: "unknown", source: `trace failed: ${String(e?.name === "TimeoutError" ? "timed out" : e?.message ?? e).slice(0, 120)}` };
  }
}
