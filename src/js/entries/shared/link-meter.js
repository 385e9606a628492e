// How a shared client's socket is doing, measured from outside the client: when its last
// frame arrived and how long the last ping took to be answered. The hub opens the client's
// sockets with `meter.WebSocket`, the platform's class with two taps, so a page can show
// "last message n s ago" and the ping RTT without the client's core knowing.

/** Frames this short or shorter are looked at for "ping" / "pong" (theirs are ~15 / ~35 bytes). */
const SHORT = 64;

/** A meter over `Base` (default: the global WebSocket); `stats()` is what it saw. */
export function createMeter(Base = globalThis.WebSocket) {
  const seen = { lastMessageAt: null, pingRttMs: null, pingSentAt: null, open: 0 };
  const note = (data) => {
    const now = Date.now();
    seen.lastMessageAt = now;
    if (seen.pingSentAt !== null && typeof data === "string" && data.length <= SHORT && data.includes('"pong"')) {
      seen.pingRttMs = now - seen.pingSentAt;
      seen.pingSentAt = null;
    }
  };
  class MeteredWebSocket extends Base {
    constructor(...args) {
      super(...args);
      seen.pingSentAt = null;
      this.addEventListener("open", () => seen.open++);
      this.addEventListener("close", () => (seen.open = Math.max(0, seen.open - 1)));
    }
    get onmessage() {
      return super.onmessage;
    }
    set onmessage(fn) {
      super.onmessage = typeof fn === "function" ? (e) => { note(e.data); return fn(e); } : fn;
    }
    send(data) {
      // The first unanswered ping is the one an RTT is measured from.
      if (typeof data === "string" && data.length <= SHORT && data.includes('"ping"')) seen.pingSentAt ??= Date.now();
      return super.send(data);
    }
  }
  return {
    WebSocket: typeof Base === "function" ? MeteredWebSocket : undefined,
    /** `{ lastMessageAt, pingRttMs, pingSentAt, open }`: epoch ms, ms, epoch ms, sockets open. */
    stats: () => ({ ...seen }),
  };
}
