// The worker half of `rampwire-lp/shared`: one LpClient per distinct options (the key
// among them, compared in this worker's memory only, never stored), shared by every tab
// attached to it. Tabs send requests tagged with their tab id; the hub answers and fans the
// client's events out to the tabs attached to it (wire format in ./wire.js).
import { toWire } from "./wire.js";
import { createMeter } from "./link-meter.js";

const EVENTS = ["init", "order", "order_taken", "order_removed", "claimed", "state", "error"];
/** Most clients one hub holds (distinct keys or options): bounded like everything else. */
const MAX_SESSIONS = 16;

/**
 * A hub over `LpClient`; `receive(msg, send)` handles one tab message, `send` being how
 * to answer that tab. `loadAutoClaim()` imports the auto-claim module (the bot engine),
 * only when a tab first turns auto-claim on.
 */
export function createHub(LpClient, ready, loadAutoClaim) {
  let autoClaims = null;
  /** signature → session; a session: { client, sig, tabs: Set, lastInit, lastState, claims } */
  const sessions = new Map();
  /** `${tab}/${ref}` → session */
  const attached = new Map();
  /** tab → send */
  const peers = new Map();

  const toTab = (tab, m) => peers.get(tab)?.({ ...m, to: tab });
  const fanOut = (s, event, payload) => {
    for (const key of s.tabs) {
      const [tab, ref] = key.split("/");
      toTab(tab, { t: "event", ref: +ref, event, payload });
    }
  };

  function watchTab(tab) {
    // The tab holds a Web Lock named after it for its whole life: the hub's request for
    // it is granted when the tab is gone (closed, crashed, navigated away).
    navigator.locks?.request(`rampwire-lp/tab/${tab}`, () => bye(tab)).catch(() => {});
  }

  function bye(tab) {
    for (const key of [...attached.keys()]) if (key.startsWith(tab + "/")) detach(key);
    peers.delete(tab);
  }

  function detach(key) {
    const s = attached.get(key);
    attached.delete(key);
    if (!s || !s.tabs.delete(key) || s.tabs.size) return;
    // The last tab left: the socket closes with it.
    sessions.delete(s.sig);
    s.bot?.stop();
    s.client.close();
    s.client.free();
  }

  function open(key, options) {
    const sig = JSON.stringify(options);
    let s = sessions.get(sig);
    if (!s) {
      if (sessions.size >= MAX_SESSIONS) throw Object.assign(new Error("too many distinct clients in one shared worker"), { kind: "invalid_argument" });
      // The client's sockets go through a meter: the pages' connection panel reads it (`stats`).
      const meter = createMeter();
      s = { client: new LpClient(meter.WebSocket ? { ...options, WebSocket: meter.WebSocket } : options), sig, tabs: new Set(), lastInit: null, lastState: null, claims: new Map(), connecting: null, meter, lpKey: options.lpKey, options };
      sessions.set(sig, s);
      for (const e of EVENTS) {
        s.client.on(e, (p) => {
          if (e === "init") s.lastInit = p;
          if (e === "state") s.lastState = p;
          fanOut(s, e, toWire(p));
        });
      }
    }
    if (attached.get(key) !== s) {
      if (attached.has(key)) detach(key);
      attached.set(key, s);
      s.tabs.add(key);
    }
    return s;
  }

  /** A 409 for the LP that holds the order (another tab's claim, an earlier hub's) is a win. */
  async function ours(s, id, r) {
    if (r.status !== "taken" || s.client.lpId === undefined) return r;
    try {
      const order = await s.client.getOrder(id);
      if (order.lp_id === s.client.lpId) return { status: "claimed", order };
    } catch { /* not ours to read: taken */ }
    return r;
  }

  function claim(s, id, how, by = "tab") {
    let p = s.claims.get(id);
    if (!p) {
      // One claim per order per LP, whichever tab (or the auto-claim bot) asks: every
      // asker gets the same promise, and every tab of the session hears the outcome
      // (with the claim's round trip, for the history's latency figures).
      // The order as the book had it (a lost claim's answer carries none).
      const order = s.client.openOrders().find((o) => o.id === id) ?? null;
      const t0 = performance.now();
      p = s.client[how](id).then((r) => ours(s, id, r));
      s.claims.set(id, p);
      p.then((r) => fanOut(s, "claim", toWire({ orderId: id, result: r, ms: Math.round(performance.now() - t0), by, order })), () => s.claims.delete(id));
      if (s.claims.size > 1000) s.claims.delete(s.claims.keys().next().value);
    }
    return p;
  }

  /** The session's link as measured, and how many sockets this worker holds for its key. */
  function stats(s) {
    let sockets = 0;
    for (const o of sessions.values()) if (o.lpKey === s.lpKey) sockets += o.meter.stats().open;
    const { heartbeatMs = 30000, pongTimeoutMs = 10000 } = s.options;
    return { ...s.meter.stats(), sockets, heartbeatMs, pongTimeoutMs, now: Date.now() };
  }

  async function call(s, key, method, args) {
    const c = s.client;
    switch (method) {
      case "connect": {
        if (c.state === "live" && s.lastInit) {
          // Joined a live socket: this tab hears what it missed, as a first connect does.
          const [tab, ref] = key.split("/");
          const init = { ...s.lastInit, orders: c.openOrders(), resync: null };
          toTab(tab, { t: "event", ref: +ref, event: "state", payload: toWire(s.lastState) });
          toTab(tab, { t: "event", ref: +ref, event: "init", payload: toWire(init) });
          return init;
        }
        s.connecting ??= c.connect().finally(() => (s.connecting = null));
        return s.connecting;
      }
      case "claim":
      case "claimWs":
        return claim(s, args[0], method);
      case "fiatSent":
      case "getOrder":
      case "fiatSentWs":
        return c[method](args[0]);
      case "waitForStatus":
        return c.waitForStatus(args[0], args[1], args[2]);
      case "autoClaim": {
        // Nothing to load for a status question while no bot runs.
        if (!s.bot && args[0]?.op !== "start") return { running: false };
        autoClaims ??= loadAutoClaim();
        const api = { claim: (id) => claim(s, id, "claim", "auto"), fanOut: (e, p) => fanOut(s, e, toWire(p)) };
        return (await autoClaims).autoClaim(s, args[0], api);
      }
      case "close":
        return detach(key);
      case "stats":
        return stats(s);
      case "reconnect":
        // "Reconnect now": a fresh socket at once, whatever backoff the client was waiting out.
        c.close();
        s.connecting = c.connect().finally(() => (s.connecting = null));
        return null;
      default:
        throw Object.assign(new Error(`unknown method ${method}`), { kind: "invalid_argument" });
    }
  }

  async function handle(m, send) {
    if (!peers.has(m.tab)) watchTab(m.tab);
    peers.set(m.tab, send);
    if (m.t === "bye") return bye(m.tab);
    const key = `${m.tab}/${m.ref}`;
    const reply = (ok, v) => toTab(m.tab, ok ? { t: "reply", ref: m.ref, rid: m.rid, ok, value: toWire(v) } : { t: "reply", ref: m.ref, rid: m.rid, ok, error: toWire(v) });
    try {
      await ready;
      const s = m.t === "open" ? open(key, m.options) : attached.get(key);
      if (!s) throw Object.assign(new Error("this client is closed"), { kind: "closed" });
      const v = m.t === "open" ? { state: s.client.state, lpId: s.client.lpId ?? null, orders: s.client.openOrders() } : await call(s, key, m.method, m.args ?? []);
      reply(true, v);
    } catch (e) {
      reply(false, e);
    }
  }

  return { receive: (m, send) => { if (m && typeof m.tab === "string" && m.t !== "leader") handle(m, send); } };
}
