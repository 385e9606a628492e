// The scenarios in Node, against the optimised release package in pkg/ (its Node entry,
// which instantiates the module on import).
// Node 20 needs --experimental-websocket (the test command passes it); Node 22+ has WebSocket.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { LpClient } from "rampwire-lp";
import { WebSocket as WsWebSocket } from "ws";
import { scenarios, KEY } from "./scenarios.mjs";
import { startSim, ROOT } from "./sim.mjs";
import { control } from "./control.mjs";

for (const [name, run] of Object.entries(scenarios)) {
  test(`node: ${name}`, async () => {
    const sim = await startSim(["--complete-after-ms", "200"]);
    try {
      await run({ LpClient, base: sim.base });
    } finally {
      await sim.stop();
    }
  });
}

test("node: with the ws package as options.WebSocket (no global WebSocket needed)", async () => {
  const sim = await startSim(["--complete-after-ms", "200"]);
  const global = globalThis.WebSocket;
  // As on a Node without the flag: only the given class can open sockets.
  delete globalThis.WebSocket;
  try {
    const run = scenarios["full flow: deferred auth, init, new order, HTTP claim, fiat sent, completed"];
    const Wrapped = class extends LpClient {
      constructor(options) {
        super({ ...options, WebSocket: WsWebSocket });
      }
    };
    await run({ LpClient: Wrapped, base: sim.base });
    const noGlobal = new LpClient({ apiUrl: sim.base, lpKey: KEY, connectTimeoutMs: 500 });
    await assert.rejects(noGlobal.connect(), (e) => e.name === "LpError" && /options\.WebSocket/.test(e.message) && !e.message.includes(KEY));
    noGlobal.free();
  } finally {
    if (global !== undefined) globalThis.WebSocket = global;
    await sim.stop();
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

test("node: REST goes over node:http with keep-alive (not fetch), and free() ends its connections", async () => {
  const sim = await startSim(["--complete-after-ms", "200"]);
  const realFetch = globalThis.fetch;
  const fetched = [];
  globalThis.fetch = (url, init) => {
    fetched.push(String(url));
    return realFetch(url, init);
  };
  // node-http.js (installed by the Node entry) imports node:http: the same module as here.
  const connect = http.Agent.prototype.createConnection;
  const made = [];
  http.Agent.prototype.createConnection = function (...args) {
    const socket = connect.apply(this, args);
    made.push(socket);
    return socket;
  };
  try {
    const s = control(sim.base);
    const orders = [await s.order({ currency: "KES" }), await s.order({ currency: "KES" }), await s.order({ currency: "KES" })];
    const c = new LpClient({ apiUrl: sim.base, lpKey: KEY });
    await c.connect();
    for (const o of orders) assert.equal((await c.claim(o.id)).status, "claimed");
    assert.equal((await c.getOrder(orders[0].id)).lp_id, 12);
    assert.deepEqual(fetched.filter((u) => u.includes("/api/")), [], "the client never called fetch");
    assert.equal(made.length, 1, "one HTTP connection, kept alive for all four requests");
    assert.ok(!made[0].destroyed, "kept open while the client lives");
    // close() ends the order stream; REST calls still work (and keep the connection).
    c.close();
    assert.equal((await c.getOrder(orders[1].id)).lp_id, 12);
    assert.equal(made.length, 1, "still the one connection");
    c.free();
    assert.ok(made[0].destroyed, "free() ends the client's HTTP connections");
  } finally {
    globalThis.fetch = realFetch;
    http.Agent.prototype.createConnection = connect;
    await sim.stop();
  }
});
