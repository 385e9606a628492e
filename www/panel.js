// The connection panel: time since the last message (ticking), ping RTT, claim RTT,
// sockets in use of the provider's 5 per key, and "Reconnect now". Open while the link is
// not live, folded once it is (the summary line keeps the essentials). "Live" is never
// shown on a socket that has gone quiet: past the heartbeat interval (plus a little slack
// for the pong's way back) it says "no message for n s" and warns, before the client's own
// pong timeout declares the socket dead.

import { delay } from "./format.js";

/** The provider's cap of sockets per key. */
const SOCKET_CAP = 5;

/**
 * The panel over `ui` ({ panel, summary, last, ping, claimRtt, sockets, reconnect, warn }).
 * `setBadge(state, text)`: the header badge. Returns the page's handle on it.
 */
export function createPanel(ui, setBadge) {
  let client = null;
  let state = "idle";
  let reason = null;
  let stats = null;
  /** `stats.now - Date.now()` when they came: the worker's clock against the page's. */
  let skew = 0;
  let claimRttMs = null;
  let polling = false;

  ui.reconnect.addEventListener("click", async () => {
    if (!client) return;
    ui.reconnect.setAttribute("aria-disabled", "true");
    try {
      await client.reconnect();
    } catch { /* the state events say what happened */ } finally {
      ui.reconnect.removeAttribute("aria-disabled");
    }
  });

  /** Milliseconds since the last frame, on the page's clock (null: none yet). */
  const quietFor = () => (stats?.lastMessageAt == null ? null : Math.max(0, Date.now() + skew - stats.lastMessageAt));
  /** How long a live socket may stay quiet: a heartbeat, and the pong's way back. */
  const quietLimit = () => (stats ? stats.heartbeatMs + Math.min(stats.pongTimeoutMs / 2, Math.max(1000, 3 * (stats.pingRttMs ?? 0))) : Infinity);

  /** Writes only what changed (these are read by screen readers). */
  const put = (e, t) => {
    if (e.textContent !== t) e.textContent = t;
  };

  function render() {
    const quiet = quietFor();
    const dead = state === "live" && quiet !== null && quiet > quietLimit();
    const secs = quiet === null ? null : Math.floor(quiet / 1000);
    put(ui.last, secs === null ? "—" : `${secs} s ago`);
    put(ui.ping, delay(stats?.pingRttMs ?? null));
    put(ui.claimRtt, delay(claimRttMs));
    const n = stats?.sockets ?? 0;
    put(ui.sockets, reason?.kind === "rate_limited"
      ? `${SOCKET_CAP} of ${SOCKET_CAP}, held elsewhere (other browsers, devices or bots of this key); this browser shares one for all its tabs`
      : `${n} of ${SOCKET_CAP} (this browser: one for all its tabs)`);
    ui.warn.hidden = !dead;
    ui.panel.classList.toggle("warn", dead);
    if (dead) {
      // Words that stay the same while the seconds tick (this is an alert: said once).
      put(ui.warn, `Silent past its heartbeat (due every ${stats.heartbeatMs / 1000} s): the connection may be dead; the client reconnects if the ping stays unanswered.`);
      setBadge("reconnecting", `No message for ${secs} s`);
    } else if (state === "live") {
      setBadge("live", "Live");
    }
    const what = { live: "Live", connecting: "Connecting", authenticating: "Authenticating", reconnecting: "Reconnecting", failed: "Failed", closed: "Disconnected" }[state] ?? "Not connected";
    put(ui.summary, dead ? `Connection: no message for ${secs} s` : `Connection: ${what}${secs !== null && client ? ` · last message ${secs} s ago` : ""}${stats?.pingRttMs != null && state === "live" ? ` · ping ${delay(stats.pingRttMs)}` : ""}`);
  }

  async function poll() {
    if (!client || polling) return;
    polling = true;
    const mine = client;
    try {
      const s = await mine.stats();
      if (mine === client) {
        stats = s;
        skew = s.now - Date.now();
      }
    } catch { /* closed meanwhile */ } finally {
      polling = false;
    }
    render();
  }
  setInterval(poll, 1000);
  // Between polls the seconds still tick.
  setInterval(render, 250);

  return {
    /** The client whose link is shown (null: none). */
    attach(c) {
      client = c;
      stats = null;
      reason = null;
      ui.reconnect.disabled = !c;
      poll();
    },
    /** The client's state event. */
    onState(s) {
      const was = state;
      state = s.state;
      reason = s.reason ?? (s.state === "live" ? null : reason);
      // Open while something is wrong; folded once live (the operator may open it again).
      if (s.state === "live" && was !== "live") ui.panel.open = false;
      else if (s.state !== "live" && s.state !== "closed" && s.state !== "idle") ui.panel.open = true;
      poll();
    },
    /** A claim's round trip as the operator lived it (click to answer). */
    claimRtt(ms) {
      claimRttMs = ms;
      render();
    },
    /** Whether the live socket has gone quiet past the heartbeat (the badge says so). */
    quiet: () => state === "live" && quietFor() !== null && quietFor() > quietLimit(),
  };
}
