// The tab half's link to the hub. With SharedWorker: one port to the profile's one worker.
// Without: the tabs elect a leader with a Web Lock; the leader runs the hub in a dedicated
// Worker and relays over a BroadcastChannel; when the leader's tab goes, the lock passes to
// another tab, which starts a new hub and says so, and every tab re-sends what it had open.

const CHANNEL = "rampwire-lp/shared";
const LEADER_LOCK = "rampwire-lp/leader";

/**
 * Opens the link. `url`: the worker script; `onMessage(m)`: a message for this tab;
 * `onReset()`: a new hub took over (re-send everything). Resolves once this tab holds its
 * own lock (so the hub can tell when it is gone).
 */
export async function openTransport(url, onMessage, onReset) {
  const tab = crypto.randomUUID();
  const locks = globalThis.navigator?.locks;
  if (locks) await new Promise((held) => locks.request(`rampwire-lp/tab/${tab}`, () => { held(); return new Promise(() => {}); }));
  const mine = (m) => m && m.to === tab && onMessage(m);
  const bye = () => send({ t: "bye", tab });
  let send;
  let mode;
  if (typeof SharedWorker === "function") {
    mode = "shared-worker";
    const w = new SharedWorker(url, { type: "module", name: "rampwire-lp" });
    w.port.onmessage = (e) => mine(e.data);
    w.port.start();
    send = (m) => w.port.postMessage(m);
  } else {
    if (!locks || typeof BroadcastChannel !== "function" || typeof Worker !== "function") {
      throw Object.assign(new Error("rampwire-lp/shared needs SharedWorker, or Web Locks with BroadcastChannel and Worker"), { kind: "invalid_argument" });
    }
    mode = "follower";
    const bc = new BroadcastChannel(CHANNEL);
    let worker = null;
    let leader = null;
    const follow = (id) => {
      if (id === leader) return;
      leader = id;
      onReset();
    };
    bc.onmessage = (e) => {
      const m = e.data;
      if (!m || typeof m !== "object") return;
      if (m.t === "leader") follow(m.leader);
      else if (m.t === "hello" && worker) bc.postMessage({ t: "leader", leader: tab });
      else if (m.to !== undefined) mine(m);
      else if (worker && typeof m.tab === "string") worker.postMessage(m);
    };
    send = (m) => (worker ? worker.postMessage(m) : bc.postMessage(m));
    locks.request(LEADER_LOCK, () => {
      mode = "leader";
      worker = new Worker(url, { type: "module", name: "rampwire-lp" });
      worker.onmessage = (e) => (e.data.to === tab ? mine(e.data) : bc.postMessage(e.data));
      bc.postMessage({ t: "leader", leader: tab });
      follow(tab);
      // Held for the tab's life: released (and passed on) when the tab goes.
      return new Promise(() => {});
    });
    bc.postMessage({ t: "hello" });
  }
  globalThis.addEventListener?.("pagehide", bye);
  return { tab, send: (m) => send(m), mode: () => mode };
}
