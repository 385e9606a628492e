// End-to-end scenarios of LpClient against rampwire-sim. Runtime-agnostic: the same
// module runs in Node, in headless Chromium and in workerd. Each scenario gets
// `{ LpClient, base }` (the package's class and the simulator's URL) and throws on failure.

import { control, until, next } from "./control.mjs";

export const KEY = "lp_a1b2c3d4";
export const KEY2 = "lp_e5f6a7b8";

function assert(cond, message) {
  if (!cond) throw new Error("assertion failed: " + message);
}
function eq(a, b, message) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x !== y) throw new Error(`assertion failed: ${message}: ${x} !== ${y}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Fast settings so reconnects and heartbeats happen within a test. */
const FAST = { heartbeatMs: 300, pongTimeoutMs: 300, backoffInitialMs: 100, backoffMaxMs: 800, requestTimeoutMs: 2000 };

function client(env, extra = {}) {
  return new env.LpClient({ apiUrl: env.base, lpKey: KEY, ...FAST, ...extra });
}

async function noKeyInAnyUrl(sim) {
  const lines = await sim.requests();
  for (const l of lines) {
    assert(!l.includes(KEY) && !l.includes(KEY2) && !l.includes("lp_key"), `key in a URL: ${l}`);
  }
}

export const scenarios = {
  async "full flow: deferred auth, init, new order, HTTP claim, fiat sent, completed"(env) {
    const sim = control(env.base);
    const before = await sim.order({ currency: "KES", amount_fiat: 1000 });
    const c = client(env);
    const states = [];
    c.on("state", (s) => states.push(s.state));
    eq(c.state, "idle", "initial state");
    const init = await c.connect();
    eq(states, ["connecting", "authenticating", "live"], "state sequence");
    eq(init.lpId, 12, "lp id from init");
    assert(init.orders.some((o) => o.id === before.id), "init holds the open order");
    const seen = next(c, "order");
    const o = await sim.order({ currency: "KES", amount_fiat: 5000 });
    const got = await seen;
    eq([got.id, got.amount_fiat, got.currency, got.status], [o.id, 5000, "KES", "open"], "new order with wire names");
    eq(c.openOrders()[0].id, o.id, "book is newest first");
    const r = await c.claim(o.id);
    eq(r.status, "claimed", "claim result");
    eq(r.order.lp_id, 12, "claimed order lp_id");
    assert(!c.openOrders().some((x) => x.id === o.id), "claimed order leaves the book");
    const mine = await c.getOrder(o.id);
    assert(mine.payee && mine.payee.account, "payee details");
    const fs = await c.fiatSent(o.id);
    eq(fs.status, "fiat_sent", "fiat-sent");
    const done = await c.waitForStatus(o.id, "completed", { intervalMs: 50, timeoutMs: 5000 });
    eq(done.status, "completed", "completed");
    c.close();
    await noKeyInAnyUrl(sim);
  },

  async "two clients race for one order: exactly one claimed, the other taken"(env) {
    const sim = control(env.base);
    const a = client(env);
    const b = client(env, { lpKey: KEY2 });
    await Promise.all([a.connect(), b.connect()]);
    const o = await sim.order({ currency: "NGN" });
    const results = await Promise.all([a.claim(o.id), b.claim(o.id)]);
    eq(results.map((r) => r.status).sort(), ["claimed", "taken"], "one winner");
    const info = await sim.orderInfo(o.id);
    eq(info.claims.filter((c) => c.won).length, 1, "server saw one winning claim");
    eq(info.claims.length, 2, "and no retry");
    a.close();
    b.close();
  },

  async "WebSocket claim path: claimed, order_taken for the other, taken on a second try"(env) {
    const sim = control(env.base);
    const a = client(env);
    const b = client(env, { lpKey: KEY2 });
    await Promise.all([a.connect(), b.connect()]);
    const seenA = next(a, "order");
    const seenB = next(b, "order");
    const o = await sim.order({ currency: "GHS" });
    await Promise.all([seenA, seenB]);
    const taken = next(b, "order_taken");
    const removed = next(b, "order_removed");
    const r = await a.claimWs(o.id);
    eq(r.status, "claimed", "WS claim");
    eq((await taken).orderId, o.id, "order_taken for the other LP");
    eq(await removed, { orderId: o.id, reason: "taken" }, "removed from the other's book");
    const again = await b.claimWs(o.id);
    eq(again.status, "taken", "second WS claim");
    a.close();
    b.close();
  },

  async "drop (close and abort) → reconnect → fresh init → correct order and order_removed events"(env) {
    for (const mode of ["close", "abort"]) {
      const sim = control(env.base);
      const x = await sim.order({ currency: "KES" });
      const y = await sim.order({ currency: "KES" });
      const c = client(env);
      await c.connect();
      const events = [];
      c.on("order", (o) => events.push(["order", o.id]));
      c.on("order_removed", (e) => events.push(["removed", e.orderId, e.reason]));
      // Keep it offline while the world changes: every upgrade is refused for now.
      await sim.faults({ upgrade_reject_count: 1000 });
      const down = next(c, "state", (s) => s.state === "reconnecting");
      await sim.drop(mode);
      await down;
      // While offline: x is claimed over HTTP by another LP (no broadcast), z appears.
      const r = await fetch(`${env.base}/api/orders/${x.id}/claim`, {
        method: "POST", headers: { authorization: `Bearer ${KEY2}` }, body: "{}",
      });
      eq(r.status, 200, "competitor claim");
      const z = await sim.order({ currency: "KES" });
      const resynced = next(c, "init", () => true, 8000);
      await sim.faults({});
      const init = await resynced;
      eq(c.state, "live", `live again after ${mode}`);
      eq(init.resync.vanished, [x.id], "vanished while offline");
      assert(init.resync.appeared.includes(z.id), "appeared while offline");
      assert(events.some((e) => e[0] === "removed" && e[1] === x.id && e[2] === "vanished"), "order_removed for x");
      assert(events.some((e) => e[0] === "order" && e[1] === z.id), "order for z");
      const ids = c.openOrders().map((o) => o.id);
      assert(ids.includes(y.id) && ids.includes(z.id) && !ids.includes(x.id), `book after resync: ${ids}`);
      c.close();
    }
  },

  async "half-open socket (pongs muted) is detected within heartbeat + pong timeout"(env) {
    const sim = control(env.base);
    const c = client(env);
    await c.connect();
    await sim.faults({ mute_pongs: true });
    const t0 = Date.now();
    const down = await next(c, "state", (s) => s.state === "reconnecting", 4000);
    const took = Date.now() - t0;
    eq(down.reason.kind, "timeout", "reason kind");
    assert(took <= 300 + 300 + 400, `detected in ${took} ms`);
    await sim.faults({});
    await next(c, "state", (s) => s.state === "live", 4000);
    c.close();
  },

  async "invalid key: failed after one attempt, no retry storm"(env) {
    const sim = control(env.base);
    const before = (await sim.requests()).length;
    const c = client(env, { lpKey: "lp_wrong" });
    let err;
    try {
      await c.connect();
    } catch (e) {
      err = e;
    }
    assert(err, "connect() rejects");
    eq([err.name, err.kind], ["LpError", "unauthorized"], "error kind");
    assert(!String(err.message).includes("lp_wrong") && !String(err).includes("lp_wrong"), "no key in the error");
    eq(c.state, "failed", "state");
    await sleep(1000);
    const upgrades = (await sim.requests()).slice(before).filter((l) => l.startsWith("GET /ws/orders"));
    eq(upgrades.length, 1, "exactly one attempt");
    c.close();
  },

  async "six clients on one key: the sixth backs off as rate-limited, never hot"(env) {
    const sim = control(env.base);
    const five = [];
    for (let i = 0; i < 5; i++) {
      const c = client(env, { backoffMaxMs: 2000 });
      await c.connect();
      five.push(c);
    }
    const sixth = client(env, { backoffMaxMs: 2000 });
    const errors = [];
    sixth.on("error", (e) => errors.push(e.kind));
    const limited = next(sixth, "state", (s) => s.state === "reconnecting", 4000);
    sixth.connect().catch(() => {});
    const s = await limited;
    eq(s.reason.kind, "rate_limited", "reason kind");
    assert(s.retryInMs >= 1600, `waits near the cap, not ${s.retryInMs} ms`);
    assert(errors.includes("rate_limited"), "an error event of kind rate_limited");
    const before = (await sim.requests()).filter((l) => l.startsWith("GET /ws/orders")).length;
    await sleep(1200);
    const after = (await sim.requests()).filter((l) => l.startsWith("GET /ws/orders")).length;
    assert(after - before <= 1, `no hot loop: ${after - before} attempts in 1.2 s`);
    const conns = await sim.connections();
    assert(conns.by_lp["12"] <= 5, "never more than five sockets");
    // A slot frees up: the sixth gets in on a later attempt.
    five.pop().close();
    await next(sixth, "state", (st) => st.state === "live", 6000);
    for (const c of [...five, sixth]) c.close();
  },

  async "malformed and unknown frames: error events, connection and book survive"(env) {
    const sim = control(env.base);
    const o = await sim.order({ currency: "KES" });
    const c = client(env);
    await c.connect();
    const errors = [];
    c.on("error", (e) => errors.push(e));
    for (const f of ["not json", "[1,2]", '{"type":"new_order"}', '{"type":"surprise","x":1}', '{"type":"order_taken","order_id":"nope"}']) {
      await sim.broadcast(f);
    }
    await until(() => errors.length >= 5, 3000, "five error events");
    assert(errors.every((e) => e.kind === "protocol" && e.name === "LpError"), "protocol errors");
    assert(errors.some((e) => e.message.includes("surprise")), "unknown type named");
    eq(c.state, "live", "still live");
    assert(c.openOrders().some((x) => x.id === o.id), "book intact");
    // And it still works.
    const seen = next(c, "order");
    const p = await sim.order({ currency: "KES" });
    eq((await seen).id, p.id, "orders still flow");
    c.close();
  },

  async "a frame over 1 MiB is refused as too large; the connection survives"(env) {
    const sim = control(env.base);
    const c = client(env);
    await c.connect();
    const errors = [];
    c.on("error", (e) => errors.push(e.message));
    await sim.broadcast(`{"type":"new_order","order":{"id":1,"pad":"${"a".repeat(1100000)}"}}`);
    await until(() => errors.length >= 1, 5000, "an error");
    assert(errors[0].includes("larger than 1 MiB"), `too large: ${errors[0]}`);
    const seen = next(c, "order");
    const o = await sim.order({ currency: "KES" });
    eq((await seen).id, o.id, "orders still flow");
    c.close();
  },

  async "order fields with escapes or non-ASCII text arrive intact"(env) {
    // The frame path hands strings to JS as slices of the frame when it is ASCII, and
    // decodes them from wasm memory otherwise (escapes, or non-ASCII bytes before them).
    const sim = control(env.base);
    const c = client(env);
    await c.connect();
    const got = [];
    c.on("order", (o) => got.push(o));
    const frames = [
      // Non-ASCII before the order: byte offsets differ from string indices.
      '{"type":"new_order","note":"Zahlung über M-Pesa ✓","order":{"id":900001,"amount_fiat":"5000.50","currency":"KES","amount_usd":38.79,"crypto_symbol":"us\\"dt","crypto_chain":"trx","status":"open","created_at":"2026-05-03T12:00:00\\u002e000Z"}}',
      // ASCII frame with one escaped field among plain ones.
      '{"type":"new_order","order":{"id":900002,"amount_fiat":7,"currency":"NGN","amount_usd":0.5,"crypto_symbol":"usdc","crypto_chain":"b\\u00e4se","status":"open","created_at":"x"}}',
    ];
    for (const f of frames) await sim.broadcast(f);
    await until(() => got.length >= 2, 3000, "two orders");
    const [a, b] = got;
    eq(JSON.stringify(a), JSON.stringify({ id: 900001, amount_fiat: 5000.5, currency: "KES", amount_usd: 38.79, crypto_symbol: 'us"dt', crypto_chain: "trx", status: "open", created_at: "2026-05-03T12:00:00.000Z" }), "first order");
    eq(JSON.stringify(b), JSON.stringify({ id: 900002, amount_fiat: 7, currency: "NGN", amount_usd: 0.5, crypto_symbol: "usdc", crypto_chain: "bäse", status: "open", created_at: "x" }), "second order");
    // The book holds the same values.
    const held = c.openOrders().find((o) => o.id === 900001);
    eq(held.crypto_symbol, 'us"dt', "book copy");
    c.close();
  },

  async "claim whose answer is lost is reconciled as ours, never claimed twice"(env) {
    const sim = control(env.base);
    const c = client(env);
    await c.connect();
    // 1. The server commits, but the answer is lost (502).
    const o = await sim.order({ currency: "KES" });
    await sim.faults({ rest_lose_answer_count: 1 });
    const r = await c.claim(o.id);
    eq(r.status, "claimed", "reconciled as ours");
    eq(r.order.lp_id, 12, "with the order");
    let info = await sim.orderInfo(o.id);
    eq(info.claims.length, 1, "one claim request, no blind retry");
    // 2. The claim times out before reaching the handler; the check finds it still open,
    //    so one checked claim follows; the stale one then loses harmlessly.
    const p = await sim.order({ currency: "KES" });
    await sim.faults({ rest_delay_ms: 1500, rest_delay_count: 1 });
    const slow = client(env, { requestTimeoutMs: 300 });
    const r2 = await slow.claim(p.id);
    eq(r2.status, "claimed", "claimed after the check");
    await sleep(1500);
    info = await sim.orderInfo(p.id);
    eq(info.lp_id, 12, "ours");
    eq(info.claims.filter((x) => x.won).length, 1, "exactly one winning claim");
    c.close();
    slow.close();
  },

  async "commands while not live fail at once and are never replayed"(env) {
    const sim = control(env.base);
    const c = client(env);
    let err;
    try {
      await c.claimWs(1);
    } catch (e) {
      err = e;
    }
    eq(err && err.kind, "closed", "claimWs while idle");
    await c.connect();
    await sleep(200);
    const lines = await sim.requests();
    assert(!lines.some((l) => l.includes("claim")), "nothing replayed");
    c.close();
  },

  async "close() leaves no socket open on the simulator and stops reconnecting"(env) {
    const sim = control(env.base);
    const c = client(env);
    await c.connect();
    eq((await sim.connections()).total, 1, "one socket while live");
    c.close();
    c.close();
    eq(c.state, "closed", "closed");
    await until(async () => (await sim.connections()).total === 0, 2000, "socket closed on the server");
    const before = (await sim.requests()).length;
    await sleep(600);
    eq((await sim.requests()).length, before, "no reconnect after close");
    // A pending connect() rejects when closed first.
    const d = client(env);
    const p = d.connect();
    d.close();
    let err;
    try { await p; } catch (e) { err = e; }
    eq(err && err.kind, "closed", "pending connect rejects with closed");
  },

  async "orderFilter keeps other orders out of the book and away from callbacks"(env) {
    const sim = control(env.base);
    await sim.order({ currency: "KES", amount_fiat: 50000 });
    const small = await sim.order({ currency: "KES", amount_fiat: 900 });
    const c = client(env, { orderFilter: { currencies: ["KES", "NGN"], maxAmountFiat: { KES: 20000 } } });
    const init = await c.connect();
    eq(init.orders.map((o) => o.id), [small.id], "init filtered");
    const seen = [];
    c.on("order", (o) => seen.push(o.id));
    const last = next(c, "order", (o) => o.currency === "NGN");
    await sim.order({ currency: "GHS", amount_fiat: 10 });
    await sim.order({ currency: "KES", amount_fiat: 20001 });
    const ok = await sim.order({ currency: "KES", amount_fiat: 20000 });
    const ngn = await sim.order({ currency: "NGN", amount_fiat: 1e6 });
    await last;
    eq(seen, [ok.id, ngn.id], "only matching orders reach the callback");
    eq(c.openOrders().map((o) => o.id), [ngn.id, ok.id, small.id], "and the book");
    c.close();
    let err;
    try { client(env, { orderFilter: { maxAmountFiat: { KES: "lots" } } }); } catch (e) { err = e; }
    eq(err && err.kind, "invalid_argument", "bad filter");
  },

  async "orderFilter's quick reject drops only what the filter rejects, and keeps the heartbeat alive"(env) {
    // host.js drops `new_order` frames without the filter's currencies unread; anything
    // it cannot be sure of (escapes, another "type", other frames) is decoded (and a frame
    // that gives "type" twice is refused: the decoder never guesses which one counts).
    const sim = control(env.base);
    const c = client(env, { orderFilter: { currencies: ["KES"] }, heartbeatMs: 200, pongTimeoutMs: 300 });
    await c.connect();
    const seen = [];
    c.on("order", (o) => seen.push([o.id, o.currency]));
    const errors = [];
    c.on("error", (e) => errors.push(e.message));
    const frames = [
      '{"type":"new_order","order":{"id":800001,"currency":"NGN","amount_fiat":1,"amount_usd":1}}',
      '{"type":"new_order","order":{"id":800002,"currency":"K\\u0045S","amount_fiat":1,"amount_usd":1}}',
      '{"type":"new_order","order":{"id":800003,"currency":"KES","amount_fiat":1,"amount_usd":1}}',
      '{"type":"new_order","order":{"id":800004,"region":"KES","currency":"NGN","amount_fiat":1,"amount_usd":1}}',
      '{"type":"new_order","order":{"id":800005,"currency":"NGN"},"type":"nonsense"}',
      '{"type":"new_order","order":{"id":800006,"currency":"KES","amount_fiat":2,"amount_usd":1}',
    ];
    for (const f of frames) await sim.broadcast(f);
    await until(() => seen.length >= 2 && errors.length >= 2, 3000, "two orders and two errors");
    eq(seen, [[800002, "KES"], [800003, "KES"]], "escaped and plain KES orders arrive; NGN ones do not");
    assert(errors.some((m) => m.includes("given twice")), "a frame with a second type is decoded (and refused)");
    assert(errors.some((m) => m.includes("JSON")), "a truncated KES frame is decoded and reported");
    // Pongs muted: only filtered orders arrive, and they still count as traffic.
    await sim.faults({ mute_pongs: true });
    const states = [];
    c.on("state", (s) => states.push(s.state));
    const end = Date.now() + 1200;
    let id = 810000;
    while (Date.now() < end) {
      await sim.broadcast(`{"type":"new_order","order":{"id":${id++},"currency":"NGN","amount_fiat":1,"amount_usd":1}}`);
      await sleep(50);
    }
    eq(states, [], "still live: unread frames are traffic");
    await sim.faults({});
    c.close();
  },

  async "short frames (order_taken, pong) read without copying mean what the decoder reads"(env) {
    // host.js reads `{"type":"order_taken","order_id":N}` and `{"type":"pong","ts":N}` as
    // one number (short.rs); every other spelling goes through the decoder, alike.
    const sim = control(env.base);
    const a = await sim.order({ currency: "KES" });
    const b = await sim.order({ currency: "KES" });
    const c = client(env);
    await c.connect();
    const taken = [];
    const removed = [];
    const errors = [];
    c.on("order_taken", (e) => taken.push(e.orderId));
    c.on("order_removed", (e) => removed.push([e.orderId, e.reason]));
    c.on("error", (e) => errors.push(e.kind));
    const frames = [
      `{"type":"order_taken","order_id":${a.id}}`,
      `{"order_id":${b.id},"type":"order_taken"}`,
      '{"type":"order_taken","order_id":1234567890123456}',
      '{"type":"order_taken","order_id":0}',
      '{"type":"pong","ts":1746275096123}',
      '{"type":"pong","ts":0}',
      '{"type":"order_taken","order_id":007}',
      '{"type":"pong","ts":01}',
    ];
    for (const f of frames) await sim.broadcast(f);
    await until(() => errors.length >= 2, 3000, "two errors");
    await sleep(50);
    eq(taken, [a.id, b.id, 1234567890123456, 0], "order_taken for each spelling");
    eq(removed, [[a.id, "taken"], [b.id, "taken"]], "both orders left the book");
    eq(errors, ["protocol", "protocol"], "leading zeros are not JSON");
    eq(c.openOrders().length, 0, "book empty");
    eq(c.state, "live", "still live");
    c.close();
  },

  async "options.WebSocket: the given class opens every socket, reconnects included"(env) {
    const sim = control(env.base);
    const Base = env.WebSocket ?? globalThis.WebSocket;
    const opened = [];
    class Counting extends Base {
      constructor(url) {
        super(url);
        opened.push(url);
      }
    }
    const c = client(env, { WebSocket: Counting });
    await c.connect();
    eq(opened.length, 1, "first socket from the given class");
    const seen = next(c, "order");
    const o = await sim.order({ currency: "KES", amount_fiat: 700 });
    eq((await seen).id, o.id, "orders arrive through it");
    const live = until(() => c.state === "live" && opened.length === 2, 5000, "reconnected");
    await sim.drop();
    await live;
    assert(opened.every((u) => !u.includes(KEY)), "no key in the URL");
    c.close();
  },

  async "options are validated with typed errors that never echo the key"(env) {
    const bad = [
      [{ apiUrl: env.base }, "lpKey"],
      [{ apiUrl: "http://api.example.com", lpKey: KEY }, "allowInsecure"],
      [{ apiUrl: env.base, lpKey: "lp_bad key" }, "letters"],
      [{ apiUrl: env.base, lpKey: KEY, auth: "cookie" }, "auth"],
      [{ apiUrl: env.base, lpKey: KEY, heartbeatMs: -5 }, "heartbeatMs"],
      [{ apiUrl: env.base, lpKey: KEY, heartbeatMS: 5 }, "heartbeatMS"],
      [{ apiUrl: env.base, lpKey: KEY, WebSocket: "ws" }, "WebSocket"],
      [{ apiUrl: env.base, lpKey: KEY, WebSocket: {} }, "WebSocket"],
    ];
    for (const [opts, word] of bad) {
      let err;
      try {
        new env.LpClient(opts);
      } catch (e) {
        err = e;
      }
      assert(err, `rejected: ${JSON.stringify(Object.keys(opts))}`);
      eq([err.name, err.kind], ["LpError", "invalid_argument"], "kind");
      assert(err instanceof Error, "an Error");
      assert(err.message.includes(word), `message names ${word}: ${err.message}`);
      assert(!err.message.includes(KEY) && !String(err.stack).includes(KEY), "no key in the error");
    }
    const c = client(env);
    let err;
    try { await c.claim(-1); } catch (e) { err = e; }
    eq(err.kind, "invalid_argument", "bad order id");
    try { c.on("nope", () => {}); } catch (e) { err = e; }
    eq(err.kind, "invalid_argument", "bad event name");
    assert(!String(c).includes(KEY) && !JSON.stringify(Object.entries(c)).includes(KEY), "no key in the object");
    c.close();
  },
};

/** Smoke subset for runtimes where only a connect/init/claim check is asked. */
export const smoke = ["full flow: deferred auth, init, new order, HTTP claim, fiat sent, completed"];
