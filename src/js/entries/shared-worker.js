// `rampwire-lp/shared-worker.js`: the worker behind `rampwire-lp/shared`. As a SharedWorker
// every tab connects its own port; as a dedicated Worker (the fallback where SharedWorker is
// missing) the leader tab relays the other tabs' messages to it. Either way the one LpClient
// per key, its socket and its timers live here, out of the tabs' throttled timers.
import init, { LpClient } from "./inline.js";
import { createHub } from "./shared/hub.js";

// The auto-claim bot (the bot engine's wasm and its driver) loads only once a tab turns it on.
const hub = createHub(LpClient, init(), () => import("./shared-autoclaim.js"));

if (typeof SharedWorkerGlobalScope !== "undefined" && self instanceof SharedWorkerGlobalScope) {
  self.onconnect = (e) => {
    const port = e.ports[0];
    port.onmessage = (ev) => hub.receive(ev.data, (m) => port.postMessage(m));
  };
} else {
  self.onmessage = (ev) => hub.receive(ev.data, (m) => self.postMessage(m));
}
