// A client for rampwire-sim's control API. Runtime-agnostic (fetch only): used from Node
// test files and from scenarios running inside Chromium and workerd.

/** Control calls against the simulator at `base`. */
export function control(base) {
  const call = async (method, path, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return r.json();
  };
  return {
    get: (path) => call("GET", path),
    post: (path, body = {}) => call("POST", path, body),
    order: (fields = {}) => call("POST", "/_sim/orders", fields),
    orderInfo: (id) => call("GET", `/_sim/orders/${id}`),
    faults: (f = {}) => call("POST", "/_sim/faults", f),
    drop: (mode) => call("POST", "/_sim/drop", { mode }),
    broadcast: (text) => call("POST", "/_sim/broadcast", { text }),
    connections: () => call("GET", "/_sim/connections"),
    requests: () => call("GET", "/_sim/requests"),
  };
}

/** Resolves with `pred()`'s first truthy value (polled every 20 ms), or rejects after `ms`. */
export async function until(pred, ms = 5000, what = "condition") {
  const t0 = Date.now();
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with the next payload of `event` on `client` that passes `pred`. */
export function next(client, event, pred = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no ${event} event within ${ms} ms`)); }, ms);
    const off = client.on(event, (p) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}
