// One REST exchange over the global `fetch(url, init)` (browsers, Node 18+, Workers),
// with a timeout that covers the body too. One call from wasm per request; the key
// travels only in the Authorization header.

/** Resolves with [status, body text]; rejects with [timedOut, platform message]. */
export async function exchange(url, post, authorization, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const headers = post
    ? { Authorization: authorization, "Content-Type": "application/json" }
    : { Authorization: authorization };
  const init = post
    ? { method: "POST", headers, body: "{}", signal: controller.signal }
    : { method: "GET", headers, signal: controller.signal };
  try {
    const response = await fetch(url, init);
    return [response.status, await response.text()];
  } catch (e) {
    throw [controller.signal.aborted, String((e && e.message) || "fetch failed")];
  } finally {
    clearTimeout(timer);
  }
}

/** A promise that resolves after `ms`. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
