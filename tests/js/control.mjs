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
