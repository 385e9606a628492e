// The scenarios in Node, against the optimised release package in pkg/ (its Node entry,
// which instantiates the module on import).
// Node 20 needs --experimental-websocket (the test command passes it); Node 22+ has WebSocket.
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import net from "node:net";
import { LpClient } from "rampwire-lp";
import { WebSocket as WsWebSocket } from "ws";
import { scenarios, KEY } from "./scenarios.mjs";
import { startSim, ROOT, until } from "./sim.mjs";
import { control } from "./control.mjs";

/** LpClient opening its sockets with the ws package (text frames read as bytes). */
class WsLpClient extends LpClient {
  constructor(options) {
    // A scenario's own class (or a bad one, to be refused) still wins.
    super({ WebSocket: WsWebSocket, ...options });
  }
}

for (const [name, run] of Object.entries(scenarios)) {
  for (const [label, Client] of [["node", LpClient], ["node, ws package", WsLpClient]]) {
    test(`${label}: ${name}`, async () => {
      const sim = await startSim(["--complete-after-ms", "200"]);
      try {
        await run({ LpClient: Client, base: sim.base });
      } finally {
        await sim.stop();
      }
    });
  }
}

test("node: with the ws package as options.WebSocket (no global WebSocket needed)", async () => {
  const sim = await startSim(["--complete-after-ms", "200"]);
  const global = globalThis.WebSocket;
  // As on a Node without the flag: only the given class can open sockets.
  delete globalThis.WebSocket;
  try {
    const run = scenarios["full flow: deferred auth, init, new order, HTTP claim, fiat sent, completed"];
    await run({ LpClient: WsLpClient, base: sim.base });
    const noGlobal = new LpClient({ apiUrl: sim.base, lpKey: KEY, connectTimeoutMs: 500 });
    await assert.rejects(noGlobal.connect(), (e) => e.name === "LpError" && /options\.WebSocket/.test(e.message) && !e.message.includes(KEY));
    noGlobal.free();
  } finally {
    if (global !== undefined) globalThis.WebSocket = global;
    await sim.stop();
  }
});

test("node: the ws package's sockets, whose text frames the Node transport reads as bytes, pass the hostile frame cases (2c, 3c, 6, 6b, 6c, 8, 11)", () => {
  const cases = ["2c", "3c", "6", "6b", "6c", "8", "11"];
  const r = spawnSync(process.execPath, [...process.execArgv, "--test", "--test-concurrency=1", `--test-name-pattern=^(${cases.join("|")})\\. `, "tests/js/hostile.test.mjs"], {
    cwd: ROOT,
    // (NODE_TEST_CONTEXT would make the child report to this runner instead of stdout.)
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, LP_WS: "ws" },
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stdout.slice(-6000) + r.stderr.slice(-2000));
  assert.match(r.stdout, new RegExp(`^# pass ${cases.length}$`, "m"), "every case ran");
});

test("node: a text frame that starts with a byte-order mark is read as the WebSocket standard reads it, with either socket class (global: mark dropped by the decode; ws package: bytes)", async () => {
  const { startHostile, newOrderFrame, owned } = await import("./hostile-server.mjs");
  const srv = await startHostile();
  try {
    srv.on("POST", /^\/api\/orders\/\d+\/claim$/, (req) => ({ body: owned(req.id) }));
    for (const Client of [LpClient, WsLpClient]) {
      const c = new Client({ apiUrl: srv.base, lpKey: KEY, autoClaim: true, orderFilter: { currencies: ["KES"] } });
      const seen = [];
      c.on("order", (o) => seen.push(o.id));
      c.on("error", (e) => seen.push(`${e.kind}: ${e.message}`));
      await c.connect();
      const before = srv.matching("POST", /claim/).length;
      srv.broadcast("\uFEFF" + newOrderFrame(5));
      srv.broadcast("\uFEFF" + newOrderFrame(6, { currency: "NGN" }));
      srv.broadcast(newOrderFrame(7));
      // (A claim's bytes leave before its `order` event; the server may read them after it.)
      await until(() => seen.length >= 2 && srv.matching("POST", /claim/).length - before >= 2, 5000, "orders and claims");
      c.free();
      assert.deepEqual(seen, [5, 7], `${Client.name}: the marked order read, the NGN one filtered`);
      assert.deepEqual(srv.matching("POST", /claim/).slice(before).map((r) => r.id), [5, 7], `${Client.name}: autoClaim claimed both`);
    }
  } finally {
    await srv.close();
  }
});

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

test("node: close() leaves no timer running and no socket handle", async () => {
  const sim = await startSim([]);
  try {
    const idle = timers();
    const c = new LpClient({ apiUrl: sim.base, lpKey: KEY, heartbeatMs: 200 });
    await c.connect();
    assert.ok(timers() > idle, "a heartbeat timer while live");
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(timers(), idle, "no timer after close");
    c.free();
  } finally {
    await sim.stop();
  }
});

/**
 * Counts the TCP connections the package's REST transport opens (node-http.js calls
 * node:net's `connect` at run time); the WebSocket's and the test's own fetches aside.
 */
function countConnects() {
  const connect = net.connect;
  const made = [];
  net.connect = function (...args) {
    const socket = connect.apply(this, args);
    const stack = new Error().stack;
    if (stack.includes("/pkg/node.cjs") && !stack.includes("undici")) made.push({ socket, at: performance.now() });
    return socket;
  };
  return { made, restore: () => (net.connect = connect) };
}

test("node: REST goes over the client's own keep-alive connection (not fetch), and free() ends it", async () => {
  const sim = await startSim(["--complete-after-ms", "200"]);
  const realFetch = globalThis.fetch;
  const fetched = [];
  globalThis.fetch = (url, init) => {
    fetched.push(String(url));
    return realFetch(url, init);
  };
  const { made, restore } = countConnects();
  try {
    const s = control(sim.base);
    const orders = [await s.order({ currency: "KES" }), await s.order({ currency: "KES" }), await s.order({ currency: "KES" })];
    const c = new LpClient({ apiUrl: sim.base, lpKey: KEY });
    await c.connect();
    for (const o of orders) assert.equal((await c.claim(o.id)).status, "claimed");
    assert.equal((await c.getOrder(orders[0].id)).lp_id, 12);
    assert.deepEqual(fetched.filter((u) => u.includes("/api/")), [], "the client never called fetch");
    assert.equal(made.length, 1, "one HTTP connection (opened warm at connect), kept alive for all four requests");
    assert.ok(!made[0].socket.destroyed, "kept open while the client lives");
    // close() ends the order stream; REST calls still work (and keep the connection).
    c.close();
    assert.equal((await c.getOrder(orders[1].id)).lp_id, 12);
    assert.equal(made.length, 1, "still the one connection");
    c.free();
    assert.ok(made[0].socket.destroyed, "free() ends the client's HTTP connections");
  } finally {
    globalThis.fetch = realFetch;
    restore();
    await sim.stop();
  }
});

test("node: warm path: the connection the server closes when idle is re-opened before a claim needs it, at most once a second, and only while the stream is open", async () => {
  // The simulator closes keep-alive connections idle for 1.5 s, as servers and proxies do.
  const sim = await startSim(["--complete-after-ms", "600000", "--header-timeout-ms", "1500"]);
  const { made, restore } = countConnects();
  try {
    const s = control(sim.base);
    const c = new LpClient({ apiUrl: sim.base, lpKey: KEY });
    await c.connect();
    await until(async () => made.length >= 1, 2000, "the warm connection at connect");
    // Quiet for 4 s: the server closes the idle connection after 1.5 s; the client opens
    // another (after the first close, just before the server would close it), never
    // faster than once a second.
    await new Promise((r) => setTimeout(r, 4000));
    const opened = made.length;
    assert.ok(opened >= 2 && opened <= 5, `re-opened after idle closes, rate-limited (${opened} connects in 4 s)`);
    const o = await s.order({ currency: "KES" });
    // Which connection carries the claim (a new warm one may be opened right after it is
    // taken: that is the refill, not the claim's).
    const write = net.Socket.prototype.write;
    let carrier = null;
    net.Socket.prototype.write = function (chunk, ...rest) {
      if (typeof chunk === "string" && chunk.startsWith(`POST /api/orders/${o.id}/claim `)) carrier = this;
      return write.call(this, chunk, ...rest);
    };
    const t = performance.now();
    try {
      assert.equal((await c.claim(o.id)).status, "claimed");
    } finally {
      net.Socket.prototype.write = write;
    }
    const used = made.find((m) => m.socket === carrier);
    assert.ok(used && used.at < t, "the claim after the quiet gap went out on a connection already open");
    // With the stream closed nothing is re-opened any more.
    c.close();
    const after = made.length;
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(made.length, after, "no warm connects once the stream is closed");
    c.free();
  } finally {
    restore();
    await sim.stop();
  }
});

test("node: autoClaim: every order the filter keeps is claimed once, its bytes written before the order event; others never; claim() joins it", async () => {
  const sim = await startSim(["--complete-after-ms", "600000"]);
  const write = net.Socket.prototype.write;
  const written = [];
  net.Socket.prototype.write = function (chunk, ...rest) {
    const m = /^POST \/api\/orders\/(\d+)\/claim /.exec(typeof chunk === "string" ? chunk : "");
    if (m) written.push(Number(m[1]));
    return write.call(this, chunk, ...rest);
  };
  const c = new LpClient({ apiUrl: sim.base, lpKey: KEY, autoClaim: true, orderFilter: { currencies: ["KES"], maxAmountFiat: { KES: 20000 } } });
  try {
    const s = control(sim.base);
    const seen = [];
    const results = [];
    c.on("order", (o) => {
      seen.push({ id: o.id, writtenFirst: written.includes(o.id) });
      results.push(c.claim(o.id));
    });
    await c.connect();
    const kept = [await s.order({ currency: "KES", amount_fiat: 1500 }), await s.order({ currency: "KES", amount_fiat: 19000 })];
    const skipped = [await s.order({ currency: "KES", amount_fiat: 25000 }), await s.order({ currency: "NGN", amount_fiat: 1000 })];
    await until(async () => results.length === 2, 5000, "both kept orders delivered");
    assert.deepEqual(seen, kept.map((o) => ({ id: o.id, writtenFirst: true })), "claimed before the order event, in order");
    for (const r of await Promise.all(results)) assert.equal(r.status, "claimed");
    const posts = (await s.requests()).filter((l) => /^POST \/api\/orders\/\d+\/claim$/.test(l));
    assert.deepEqual(posts.sort(), kept.map((o) => `POST /api/orders/${o.id}/claim`).sort(), "one claim per kept order, none for the others");
    assert.ok(!skipped.some((o) => written.includes(o.id)));
  } finally {
    net.Socket.prototype.write = write;
    c.free();
    await sim.stop();
  }
});

test("node: autoClaim without an orderFilter is refused (fail closed)", () => {
  assert.throws(() => new LpClient({ apiUrl: "http://127.0.0.1:9", lpKey: KEY, autoClaim: true }), (e) => e.kind === "invalid_argument" && /autoClaim needs an orderFilter/.test(e.message));
});
