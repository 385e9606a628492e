// Hostile-server suite (issue #14): the release package in pkg/ against a malicious
// WebSocket + HTTP server written here (tests/js/hostile-server.mjs, not rampwire-sim), in
// Node (REST over node:http) and, for the REST points (redirects, body caps), on the fetch
// path in workerd (tests/js/hostile-worker.mjs through Miniflare) and headless Chromium.
//   node --experimental-websocket --test tests/js/hostile.test.mjs
// Figures (event-loop block, memory before/after) are printed with the `hostile:` prefix.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { initSync, LpClient } from "../../pkg/rampwire_lp.js";
// The Node entry installs the package's Node REST transport (node-http.js) for every copy
// of the client in this process: the REST points below run over it, as a Node user's do.
import "../../pkg/node.mjs";
import { startHostile, order, owned, newOrderFrame, LP_ID } from "./hostile-server.mjs";
import { ROOT } from "./sim.mjs";
import { WebSocket as WsWebSocket } from "ws";

/** LP_WS=ws: clients open their sockets with the ws package, whose text frames the Node
 * transport reads as bytes (node.test.mjs runs the frame cases so). */
const SOCKETS = process.env.LP_WS === "ws" ? { WebSocket: WsWebSocket } : {};

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const wasm = initSync({ module: readFileSync(`${ROOT}/pkg/rampwire_lp_bg.wasm`) });
const wasmBytes = () => wasm.memory.buffer.byteLength;

/** ~30 characters, none of its 4-character pieces in any text the client writes itself. */
const KEY = "lp_Q7vK2mX9tR4wZ8nB3yH6cJ1dF5sL";
const EVENTS = ["init", "order", "order_taken", "order_removed", "claimed", "state", "error"];
const MiB = 1 << 20;
const FILE_T0 = performance.now();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (n) => `${(n / MiB).toFixed(1)} MiB`;
const log = (...a) => console.log("hostile:", ...a);

// Uncaught exceptions and rejections anywhere in the file (the client's bugs, not ours).
const uncaught = [];
process.on("uncaughtException", (e) => uncaught.push(e));
process.on("unhandledRejection", (e) => uncaught.push(e));
after(() => log(`file ran ${((performance.now() - FILE_T0) / 1000).toFixed(1)} s`));

/** Asserts no uncaught exception or rejection happened since `mark` (an `uncaught.length`). */
function noUncaught(mark) {
  assert.deepEqual(uncaught.slice(mark).map((e) => String(e?.stack ?? e)), [], "no uncaught exception or rejection");
}

async function hostile(t, opts) {
  const s = await startHostile(opts);
  t.after(() => s.close());
  return s;
}

function release(c) {
  if (c.__wbg_ptr !== 0) c.free();
}

function client(t, srv, extra = {}) {
  const c = new LpClient({ apiUrl: srv.base, lpKey: KEY, heartbeatMs: 60_000, backoffInitialMs: 50, backoffMaxMs: 200, ...SOCKETS, ...extra });
  t.after(() => release(c));
  return c;
}

/** Every event of `c`, in order; `of(name)` the payloads of one kind. */
function events(c) {
  const all = [];
  for (const n of EVENTS) c.on(n, (p) => all.push({ name: n, p }));
  return { all, of: (n) => all.filter((e) => e.name === n).map((e) => e.p) };
}

/** A promise's outcome as a value: { ok } or { err }, and when it settled. */
function outcome(p) {
  const t0 = performance.now();
  return p.then(
    (ok) => ({ ok, ms: performance.now() - t0 }),
    (err) => ({ err, ms: performance.now() - t0 }),
  );
}

function within(p, ms, what) {
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))),
  ]);
}

async function until(pred, ms = 5000, what = "condition") {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

const claimPath = (id) => `/api/orders/${id}/claim`;
const getPath = (id) => `/api/orders/${id}`;
const heldFor = (srv, id) => srv.held.find((h) => h.req.id === id);
const show = (r) => (r.err ? `error ${r.err.kind}: ${r.err.message}` : JSON.stringify(r.ok));

function assertStatus(r, status, what) {
  assert.ok(r.ok, `${what}: resolved, not ${show(r)}`);
  assert.equal(r.ok.status, status, `${what}: ${show(r)}`);
}

function assertKind(r, kind, what) {
  assert.ok(r.err, `${what}: rejected, not ${show(r)}`);
  assert.equal(r.err.name, "LpError", what);
  assert.equal(r.err.kind, kind, `${what}: ${r.err.message}`);
}

// ---- 1. close() and free() mid-flow ---------------------------------------------------

test("1a. close() mid-claim: claims already sent run to their verdict", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(101), { hold: true });
  srv.on("POST", claimPath(102), { hold: true });
  srv.on("GET", getPath(102), { body: owned(102) });
  srv.on("GET", getPath(103), { body: owned(103) });
  const c = client(t, srv);
  await c.connect();
  let settled = 0;
  const p1 = outcome(c.claim(101)).finally(() => settled++);
  const p2 = outcome(c.claim(102)).finally(() => settled++);
  const p3 = outcome(c.claimWs(103)); // the server never answers it
  await srv.waitHeld(2);
  await srv.until(() => srv.wsClaims(103) === 1, 2000, "the WS claim");
  c.close();
  assert.equal(c.state, "closed");
  await sleep(100);
  assert.equal(settled, 0, "close() settled no claim: they wait for the server");
  heldFor(srv, 101).release({ body: owned(101) });
  heldFor(srv, 102).release({ status: 503, body: { error: "busy" } });
  const [r1, r2] = await within(Promise.all([p1, p2]), 5000, "claims after close()");
  assertStatus(r1, "claimed", "2xx after close()");
  assert.equal(r1.ok.order.lp_id, LP_ID);
  assertStatus(r2, "claimed", "503 after close(), reconciled by GET");
  assert.equal(srv.count("GET", getPath(102)), 1, "the check ran after close()");
  const r3 = await within(p3, 5000, "claimWs after close()");
  assertStatus(r3, "claimed", "a WS claim awaiting `claimed` at close() is reconciled over HTTP (GET says ours)");
  assert.equal(srv.count("GET", getPath(103)), 1);
});

test("1b. free() mid-flow: claim, fiat-sent and claimWs reject at once as unknown; getOrder as closed", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(201), { hold: true });
  srv.on("POST", "/api/orders/202/fiat-sent", { hold: true });
  srv.on("GET", getPath(203), { hold: true });
  // A claim in its check (GET held), one pausing between checks, a fiat-sent in its confirmation.
  srv.on("POST", claimPath(206), { status: 503 });
  srv.on("GET", getPath(206), { hold: true });
  srv.on("POST", claimPath(207), { status: 503 });
  srv.on("GET", getPath(207), { status: 503 });
  srv.on("POST", "/api/orders/208/fiat-sent", { status: 502 });
  srv.on("GET", getPath(208), { hold: true });
  const c = client(t, srv, { requestTimeoutMs: 10_000 });
  await c.connect();
  const flows = [outcome(c.claim(201)), outcome(c.fiatSent(202)), outcome(c.getOrder(203)), outcome(c.claimWs(204)),
    outcome(c.claim(206)), outcome(c.claim(207)), outcome(c.fiatSent(208))];
  await srv.waitHeld(5);
  await srv.until(() => srv.wsClaims(204) === 1 && srv.count("GET", getPath(207)) >= 1, 2000, "the WS claim and a failed check");
  const t0 = performance.now();
  c.free();
  const [claim, fiat, get, ws, checking, pausing, confirming] = await within(Promise.all(flows), 3000, "flows after free()");
  const took = performance.now() - t0;
  log(`free() settled ${flows.length} flows in ${took.toFixed(1)} ms (request timeout 10000 ms)`);
  assert.ok(took < 1000, `prompt: ${took} ms`);
  for (const [r, id, what] of [[claim, 201, "claim"], [fiat, 202, "fiatSent"], [ws, 204, "claimWs"],
    [checking, 206, "claim in its check"], [pausing, 207, "claim between checks"], [confirming, 208, "fiatSent in its confirmation"]]) {
    assertKind(r, "unknown", `${what} at free()`);
    assert.ok(r.err.message.includes(`GET /api/orders/${id}`), `${what} names the check: ${r.err.message}`);
    assert.equal(r.err.orderId, id, `${what} orderId`);
  }
  assertKind(get, "closed", "getOrder at free()");
});

test("1c. garbage collection of a client mid-claim: the claim rejects as unknown", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(205), { hold: true });
  let c = new LpClient({ apiUrl: srv.base, lpKey: KEY, heartbeatMs: 60_000 });
  const ref = new WeakRef(c);
  t.after(() => {
    const alive = ref.deref();
    if (alive) release(alive);
  });
  await c.connect();
  const p = outcome(c.claim(205));
  await srv.waitHeld(1);
  c = null;
  let r;
  p.then((x) => (r = x));
  for (let i = 0; i < 100 && r === undefined; i++) {
    gc();
    await sleep(20);
  }
  assert.ok(r !== undefined, "the client was collected and the claim settled");
  assertKind(r, "unknown", "claim at collection");
  assert.ok(r.err.message.includes("GET /api/orders/205"), r.err.message);
});

// ---- 2. one claim per order per client ------------------------------------------------

test("2a. one claim per order per client: claim/claim, claim/claimWs, claimWs/claim send one request", async (t) => {
  const srv = await hostile(t);
  for (const id of [301, 302]) srv.on("POST", claimPath(id), { delayMs: 100, body: owned(id) });
  srv.on("POST", claimPath(304), { delayMs: 100, status: 409, body: { error: "not open" } });
  srv.onFrame = (msg, ws) => {
    if (msg?.type === "claim" && [303, 305].includes(msg.order_id)) {
      setTimeout(() => ws.send(`{"type":"claimed","order_id":${msg.order_id}}`), 100);
    }
  };
  const c = client(t, srv);
  await c.connect();
  const cases = [
    [301, "claim", "claim", "claimed"],
    [302, "claim", "claimWs", "claimed"],
    [303, "claimWs", "claim", "claimed"],
    [304, "claim", "claimWs", "taken"],
    [305, "claimWs", "claimWs", "claimed"],
  ];
  for (const [id, first, second, want] of cases) {
    const [a, b] = await within(Promise.all([outcome(c[first](id)), outcome(c[second](id))]), 5000, `${first}+${second}`);
    const sent = srv.count("POST", claimPath(id)) + srv.wsClaims(id);
    assert.equal(sent, 1, `${first} + ${second} of ${id}: one claim reached the server, not ${sent}`);
    assertStatus(a, want, `${first} of ${id}`);
    assertStatus(b, want, `${second} of ${id}`);
    assert.deepEqual(a.ok, b.ok, `${first} + ${second}: the same outcome`);
  }
  // After a won claim, claiming again sends nothing and says claimed.
  const before = srv.requests.length + srv.frames.length;
  for (const id of [301, 302, 303, 305]) {
    assertStatus(await outcome(c.claim(id)), "claimed", `claim(${id}) again`);
    assertStatus(await outcome(c.claimWs(id)), "claimed", `claimWs(${id}) again`);
  }
  await sleep(100);
  assert.equal(srv.requests.length + srv.frames.length, before, "nothing sent for won orders");
});

test("2c. autoClaim starts the claim while the frame is read: a repeated announcement joins it; an order whose claim stayed unknown is asked about (GET) before any new claim", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(401), { delayMs: 150, body: owned(401) });
  srv.on("POST", claimPath(402), { destroy: true });
  let lookups = false;
  srv.on("GET", getPath(402), () => (lookups ? { body: order(402, { status: "claimed", lp_id: 99 }) } : { destroy: true }));
  const c = client(t, srv, { autoClaim: true, orderFilter: { currencies: ["KES"] }, requestTimeoutMs: 500 });
  const errors = [];
  c.on("error", (e) => errors.push(e));
  await c.connect();
  // 401 announced twice while its claim is under way, and once more in a resync's init.
  srv.broadcast(JSON.stringify({ type: "new_order", order: order(401) }));
  srv.broadcast(JSON.stringify({ type: "new_order", order: order(401) }));
  assertStatus(await within(outcome(c.claim(401)), 5000, "claim(401) joins the auto-claim"), "claimed", "401");
  // 402: the connection is cut under its claim and under every look-up: outcome unknown.
  srv.broadcast(JSON.stringify({ type: "new_order", order: order(402) }));
  await srv.until(() => srv.count("POST", claimPath(402)) === 1, 5000, "the claim of 402");
  const first = await within(outcome(c.claim(402)), 30000, "the claim of 402 to give up");
  assert.equal(first.err?.kind, "unknown", `402: ${show(first)}`);
  const before = srv.count("GET", getPath(402));
  lookups = true;
  // A server that lies announces both again after saying they were taken: 401 (won) is
  // not claimed again; 402 (unknown) is asked about first, found taken, not claimed.
  for (const id of [401, 402]) srv.broadcast(`{"type":"order_taken","order_id":${id}}`);
  for (const id of [401, 402]) srv.broadcast(JSON.stringify({ type: "new_order", order: order(id) }));
  await srv.until(() => srv.count("GET", getPath(402)) > before, 5000, "a look-up of 402");
  await sleep(300);
  assert.equal(srv.count("POST", claimPath(401)), 1, "one claim of 401 for three announcements");
  assert.equal(srv.count("POST", claimPath(402)), 1, "402 was not claimed blindly again");
  assert.deepEqual(errors.filter((e) => e.kind !== "network"), [], "no other error events");
});

test("2b. socket drops before `claimed`: both joined promises report the server's truth (GET)", async (t) => {
  const srv = await hostile(t);
  srv.onFrame = (msg, ws) => {
    if (msg?.type === "claim") ws.terminate();
  };
  srv.on("GET", getPath(311), { body: owned(311) });
  srv.on("GET", getPath(312), { body: owned(312, 99) });
  // Open at the first check and again after the landing window: only then the HTTP claim.
  srv.on("GET", getPath(313), { body: order(313) }, { body: order(313) }, { body: owned(313) });
  srv.on("POST", claimPath(313), { body: owned(313) });
  // An unanswered WS claim may still land: "open" proves it never did only after twice the
  // request timeout, so the HTTP claim of 313 comes after that.
  const c = client(t, srv, { requestTimeoutMs: 1000 });
  await c.connect();
  for (const [id, want, posts, second] of [[311, "claimed", 0, "claim"], [312, "taken", 0, "claimWs"], [313, "claimed", 1, "claim"]]) {
    await until(() => c.state === "live", 5000, "live");
    const [a, b] = await within(Promise.all([outcome(c.claimWs(id)), outcome(c[second](id))]), 6000, `claimWs+${second} ${id}`);
    assertStatus(a, want, `claimWs(${id}) after the drop`);
    assertStatus(b, want, `${second}(${id}) joined`);
    assert.equal(srv.wsClaims(id), 1, "one WS claim frame");
    assert.equal(srv.count("POST", claimPath(id)), posts, "HTTP claims only when GET shows the order open");
    assert.ok(srv.count("GET", getPath(id)) >= 1, "reconciled with GET");
  }
});

// ---- 3. only proof counts -------------------------------------------------------------

test("3a. a 2xx claim answer that proves nothing is checked with GET, and lpId stays init's", async (t) => {
  const srv = await hostile(t);
  const cases = [
    [401, 200, owned(401, 99), "names lp_id 99"],
    [402, 200, owned(9402), "names another order"],
    [403, 201, order(403), 'says status "open"'],
    [404, 200, "OK", "is not JSON"],
    [405, 200, { ...owned(405), lp_id: "99" }, 'names lp_id "99"'],
    [406, 200, {}, "is an empty object"],
  ];
  for (const [id, status, body] of cases) {
    srv.on("POST", claimPath(id), { status, body });
    srv.on("GET", getPath(id), { body: owned(id, 99) });
  }
  srv.on("POST", claimPath(407), { body: "<html>claimed!</html>" });
  srv.on("GET", getPath(407), { body: owned(407) });
  const c = client(t, srv);
  const ev = events(c);
  await c.connect();
  assert.equal(c.lpId, LP_ID);
  for (const [id, , , what] of cases) {
    const r = await within(outcome(c.claim(id)), 5000, what);
    assertStatus(r, "taken", `2xx that ${what}, GET says lp 99`);
    assert.equal(srv.count("GET", getPath(id)), 1, `${what}: checked with GET`);
  }
  assertStatus(await outcome(c.claim(407)), "claimed", "2xx not JSON, GET says ours");
  assert.equal(c.lpId, LP_ID, "lpId unchanged by REST bodies naming 99");
  assert.deepEqual(ev.of("claimed").map((e) => e.orderId), [407], "claimed events only for the proven claim");
});

test("3b. lpId comes from init only: a REST body naming lp_id 99 does not set it", async (t) => {
  const srv = await hostile(t, { lpId: null });
  srv.on("POST", claimPath(411), { body: owned(411, 99) });
  srv.on("GET", getPath(412), { body: owned(412, 99) });
  const c = client(t, srv, { requestTimeoutMs: 1000 });
  const init = await c.connect();
  assert.equal(init.lpId, null);
  assert.equal(c.lpId, undefined);
  await outcome(c.getOrder(412));
  assert.equal(c.lpId, undefined, "not from a GET");
  const claim = outcome(c.claim(411));
  await sleep(300);
  assert.equal(c.lpId, undefined, "not from a claim answer");
  release(c);
  await claim;
});

test("3c. a `claimed` frame with no WS claim of ours pending: protocol error event, no claimed event", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(421), { body: owned(421) });
  srv.onFrame = (msg, ws) => {
    if (msg?.type === "claim" && msg.order_id === 423) {
      ws.send('{"type":"claimed","order_id":423}');
      ws.send('{"type":"claimed","order_id":423}'); // the echo of nothing
    }
  };
  const c = client(t, srv);
  const ev = events(c);
  await c.connect();
  assertStatus(await outcome(c.claim(421)), "claimed", "HTTP claim");
  assertStatus(await outcome(c.claimWs(423)), "claimed", "WS claim");
  srv.broadcast('{"type":"claimed","order_id":422}'); // never claimed
  srv.broadcast('{"claimed":1,"type":"claimed","order_id":421}'); // claimed over HTTP, no WS claim
  srv.broadcast(`{"type":"new_order","order":{"id":429,"currency":"KES","amount_fiat":1,"amount_usd":1}}`);
  await until(() => ev.of("order").some((o) => o.id === 429), 3000, "sentinel order");
  const errs = ev.of("error").filter((e) => e.kind === "protocol" && /claimed/.test(e.message));
  assert.deepEqual(errs.map((e) => e.orderId).sort(), [421, 422, 423], `protocol errors: ${errs.map((e) => e.message)}`);
  assert.deepEqual(ev.of("claimed").map((e) => e.orderId), [421, 423], "claimed events only for our claims");
  assert.equal(c.state, "live");
});

test('3d. owner ids compare as numbers: GET "lp_id":"12" is ours, "99" is not', async (t) => {
  const srv = await hostile(t);
  for (const id of [431, 432]) srv.on("POST", claimPath(id), { status: 503, body: { error: "down" } });
  srv.on("GET", getPath(431), { body: { ...owned(431), lp_id: "12" } });
  srv.on("GET", getPath(432), { body: { ...owned(432), lp_id: "99" } });
  srv.on("POST", claimPath(433), { body: { ...owned(433), lp_id: "12" } });
  const c = client(t, srv);
  await c.connect();
  assertStatus(await outcome(c.claim(431)), "claimed", 'GET lp_id "12"');
  assertStatus(await outcome(c.claim(432)), "taken", 'GET lp_id "99"');
  assertStatus(await outcome(c.claim(433)), "claimed", 'claim answer lp_id "12"');
  assert.equal(srv.count("GET", getPath(433)), 0, '"12" in the answer is proof enough');
});

test("3e. a 2xx claim answer whose lp_id is present but not an id (12.5, \"12abc\", true, {}, [12], null) is not proof: checked with GET", async (t) => {
  const srv = await hostile(t);
  const owners = [12.5, "12abc", true, {}, [12], null];
  owners.forEach((lp, i) => {
    srv.on("POST", claimPath(441 + i), { body: { ...owned(441 + i), lp_id: lp } });
    srv.on("GET", getPath(441 + i), { body: owned(441 + i, 99) });
  });
  const c = client(t, srv);
  await c.connect();
  const wrong = [];
  for (const [i, lp] of owners.entries()) {
    const r = await within(outcome(c.claim(441 + i)), 5000, `lp_id ${JSON.stringify(lp)}`);
    if (r.ok?.status !== "taken") wrong.push(`lp_id ${JSON.stringify(lp)}: ${show(r)} after ${srv.count("GET", getPath(441 + i))} GETs`);
  }
  assert.deepEqual(wrong, [], "each answer checked with GET (which says lp 99)");
});

test("3f. a GET that answers about another order proves nothing (claim check, fiat-sent confirmation, waitForStatus)", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(451), { status: 503 });
  srv.on("GET", getPath(451), { body: owned(999) }, { body: owned(451, 99) });
  srv.on("POST", "/api/orders/452/fiat-sent", { status: 503 });
  srv.on("GET", getPath(452), { body: owned(9452, LP_ID, { status: "fiat_sent" }) });
  srv.on("GET", getPath(453), { body: owned(9453, LP_ID, { status: "completed" }) });
  const c = client(t, srv);
  await c.connect();
  const claim = await within(outcome(c.claim(451)), 5000, "claim");
  const fiat = await within(outcome(c.fiatSent(452)), 5000, "fiat-sent");
  const wait = await within(outcome(c.waitForStatus(453, "completed", { intervalMs: 50, timeoutMs: 400 })), 5000, "waitForStatus");
  const wrong = [];
  if (claim.ok?.status !== "taken") wrong.push(`claim(451): ${show(claim)} (want taken: the second GET, about 451, says lp 99)`);
  if (fiat.ok) wrong.push(`fiatSent(452) resolved with ${show(fiat)}`);
  if (wait.ok) wrong.push(`waitForStatus(453) resolved with ${show(wait)}`);
  assert.deepEqual(wrong, [], "answers about another order are not taken as the order's state");
});

// ---- 4. no redirects ------------------------------------------------------------------

const REDIRECTS = [301, 302, 303, 307, 308];

/** Routes on `srv` and `other` for the redirect cases; returns [[id, status, want]]. */
function scriptRedirects(srv, other, first) {
  other.on("*", /.*/, (req) => ({ body: owned(req.id ?? 0) }));
  const cases = [];
  REDIRECTS.forEach((status, i) => {
    const id = first + i;
    srv.on("POST", claimPath(id), { status, headers: { location: `${other.base}${claimPath(id)}` }, body: owned(id) });
    srv.on("GET", getPath(id), { body: owned(id, 99) });
    cases.push([id, status]);
  });
  // A redirect within the API origin is not followed either.
  const id = first + 9;
  srv.on("POST", claimPath(id), { status: 307, headers: { location: `/api/orders/${id}/elsewhere` } });
  srv.on("POST", `/api/orders/${id}/elsewhere`, { body: owned(id) });
  srv.on("GET", getPath(id), { body: owned(id, 99) });
  cases.push([id, "307 same origin"]);
  return cases;
}

test("4a. node:http: no redirect followed; a 3xx claim is reconciled with GET on the API origin", async (t) => {
  const srv = await hostile(t);
  const other = await hostile(t);
  const cases = scriptRedirects(srv, other, 501);
  srv.on("GET", getPath(520), { status: 302, headers: { location: `${other.base}${getPath(520)}` } });
  srv.on("POST", "/api/orders/521/fiat-sent", { status: 307, headers: { location: `${other.base}/api/orders/521/fiat-sent` } });
  srv.on("GET", getPath(521), { body: owned(521) });
  const c = client(t, srv);
  await c.connect();
  for (const [id, status] of cases) {
    const r = await within(outcome(c.claim(id)), 5000, `claim answered ${status}`);
    assertStatus(r, "taken", `claim answered ${status} (GET says lp 99)`);
    assert.equal(srv.count("GET", getPath(id)), 1, `${status}: checked on the API origin`);
  }
  assert.equal(srv.count("*", "/api/orders/510/elsewhere"), 0, "same-origin Location not followed");
  const g = await outcome(c.getOrder(520));
  assertKind(g, "protocol", "getOrder answered 302");
  assert.equal(g.err.status, 302);
  const f = await outcome(c.fiatSent(521));
  assert.ok(f.err, `fiatSent answered 307 and GET shows it unmarked: rejects (${show(f)})`);
  assert.equal(srv.count("GET", getPath(521)), 1, "fiat-sent checked with GET");
  assert.deepEqual(other.requests.map((r) => `${r.method} ${r.path}`), [], "the other server received nothing");
});

/**
 * The fetch-path cases (redirects, body caps) through `run(call, id, opts)`, which performs
 * one client call in another runtime; ids from `first`.
 */
async function fetchPathCases(label, run, srv, other, first) {
  const cases = scriptRedirects(srv, other, first);
  const g = first + 19;
  srv.on("GET", getPath(g), { status: 307, headers: { location: `${other.base}${getPath(g)}` } });
  for (const [id, status] of cases) {
    const r = await run("claim", id);
    assert.equal(r.lpId, LP_ID, `connected in ${label}`);
    assertStatus(r, "taken", `${label}: claim answered ${status} (GET says lp 99)`);
    assert.equal(srv.count("GET", getPath(id)), 1, `${label} ${status}: checked on the API origin`);
  }
  assert.equal(srv.count("*", `/api/orders/${first + 9}/elsewhere`), 0, "same-origin Location not followed");
  const got = await run("getOrder", g);
  assert.equal(got.err?.kind, "protocol", `${label}: getOrder answered 307: ${JSON.stringify(got)}`);
  assert.deepEqual(other.requests.map((r) => `${r.method} ${r.path}`), [], `${label}: the other server received nothing`);

  // Body caps: streamed past the cap (no length), declared too large, just under the cap,
  // and a custom cap.
  const [big, declared, under, small] = [first + 30, first + 31, first + 32, first + 33];
  const prefix = (id) => `{"id":${id},"status":"claimed","lp_id":12,"pad":"`;
  srv.on("POST", claimPath(big), { stream: { bytes: 200e6, prefix: prefix(big) } });
  srv.on("GET", getPath(big), { body: owned(big, 99) });
  srv.on("POST", claimPath(declared), { stream: { bytes: 600e6, prefix: prefix(declared), contentLength: true } });
  srv.on("GET", getPath(declared), { body: owned(declared, 99) });
  srv.on("POST", claimPath(under), { body: sized(owned(under), MiB - 16) });
  srv.on("POST", claimPath(small), { body: sized(owned(small), 5000) });
  srv.on("GET", getPath(small), { body: owned(small, 99) });
  const t0 = performance.now();
  assertStatus(await run("claim", big), "taken", `${label}: 200 MB streamed answer cut off, GET decides`);
  const sent = srv.matching("POST", claimPath(big))[0].bytesSent;
  log(`${label}: 200 MB claim answer: server wrote ${mb(sent)} before the client went (${(performance.now() - t0).toFixed(0)} ms)`);
  assert.ok(sent < 100e6, `stopped reading early: ${sent}`);
  assertStatus(await run("claim", declared), "taken", `${label}: declared 600 MB, GET decides`);
  const u = await run("claim", under);
  assertStatus(u, "claimed", `${label}: a body just under the cap is read`);
  assert.equal(u.ok.order.id, under);
  assert.equal(srv.count("GET", getPath(under)), 0, "no check needed");
  assertStatus(await run("claim", small, { maxBodyBytes: 4096 }), "taken", `${label}: maxBodyBytes 4096, 5000-byte answer`);
  assert.equal(srv.count("GET", getPath(small)), 1);

  // A claim the server never answers: no timer is armed per request here; the client's
  // sweep (a tick per quarter timeout) times it out, and the GET decides.
  const held = first + 40;
  srv.on("POST", claimPath(held), { hold: true });
  srv.on("GET", getPath(held), { body: owned(held, 99) });
  const t1 = performance.now();
  assertStatus(await run("claim", held, { requestTimeoutMs: 400 }), "taken", `${label}: an unanswered claim times out, GET decides`);
  const took = performance.now() - t1;
  log(`${label}: unanswered claim (timeout 400 ms) settled after ${took.toFixed(0)} ms`);
  assert.ok(took >= 400 && took < 2500, `${label}: settled ${took.toFixed(0)} ms after the claim`);
  assert.equal(srv.count("POST", claimPath(held)), 1, `${label}: not re-claimed blindly`);
  assert.equal(srv.count("GET", getPath(held)), 1);
}

test("4b+7f. fetch path in workerd: no redirect followed; bodies capped while streaming", async (t) => {
  const { workerd } = await import("./workerd.mjs");
  const srv = await hostile(t);
  const other = await hostile(t);
  const mf = await workerd(path.join(ROOT, "tests/js/hostile-worker.mjs"));
  t.after(() => mf.dispose());
  const run = async (call, id, opts = {}) => {
    const q = new URLSearchParams({ base: srv.base, call, id: String(id), key: KEY, opts: JSON.stringify(opts) });
    const r = await mf.dispatchFetch(`http://worker.test/?${q}`);
    const text = await r.text();
    assert.equal(r.status, 200, text);
    const out = JSON.parse(text);
    return out.error ? { err: out.error, lpId: out.lpId } : { ok: out.ok, lpId: out.lpId };
  };
  await fetchPathCases("workerd", run, srv, other, 800);
});

/** The page Chromium runs the client in, served by the hostile server itself (same origin, no CORS). */
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import init, { LpClient } from "/pkg/rampwire_lp.js";
await init();
window.run = async (base, call, id, opts, key) => {
  const c = new LpClient({ apiUrl: base, lpKey: key, requestTimeoutMs: 3000, ...opts });
  try {
    await c.connect();
    let out;
    try { out = { ok: await c[call](id) }; } catch (e) { out = { err: { name: e.name, kind: e.kind, message: e.message, status: e.status } }; }
    out.lpId = c.lpId ?? null;
    return out;
  } finally { c.free(); }
};
window.ready = true;
</script>`;

test("4c+7g. fetch path in headless Chromium: no redirect followed; bodies capped while streaming", async (t) => {
  const { launchChromium } = await import("./static.mjs");
  const srv = await hostile(t);
  const other = await hostile(t);
  const types = { ".js": "text/javascript", ".wasm": "application/wasm" };
  srv.on("GET", "/hostile.html", { body: PAGE, headers: { "content-type": "text/html; charset=utf-8" } });
  srv.on("GET", /^\/pkg\/[\w./-]+$/, (req) => {
    const file = path.join(ROOT, path.normalize(req.path));
    if (!file.startsWith(path.join(ROOT, "pkg")) || file.includes("..")) return { status: 404 };
    return { body: readFileSync(file), headers: { "content-type": types[path.extname(file)] ?? "application/octet-stream" } };
  });
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${srv.base}/hostile.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10_000 });
  const run = (call, id, opts = {}) => page.evaluate(([b, c, i, o, k]) => window.run(b, c, i, o, k), [srv.base, call, id, opts, KEY]);
  await fetchPathCases("chromium", run, srv, other, 900);
  assert.deepEqual(problems, [], "no uncaught page errors");
});

/** `obj` as JSON of exactly `bytes` bytes (a `pad` field fills it). */
function sized(obj, bytes) {
  const base = JSON.stringify({ ...obj, pad: "" });
  return JSON.stringify({ ...obj, pad: "x".repeat(bytes - base.length) });
}

// ---- 5. what a give-up reports --------------------------------------------------------

test("5. give-ups keep the real cause: 503 + still open → server; timeouts → timeout; unchecked → unknown", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(601), { status: 503, body: { error: "overloaded" } });
  srv.on("GET", getPath(601), { body: order(601) });
  srv.on("POST", claimPath(602), { status: 503, body: { error: "overloaded" } });
  srv.on("GET", getPath(602), { status: 503, body: { error: "overloaded" } });
  srv.on("POST", claimPath(603), { hold: true });
  srv.on("GET", getPath(603), { body: order(603) });
  const c = client(t, srv, { requestTimeoutMs: 300 });
  await c.connect();
  const unchecked = outcome(c.claim(602)); // ~7.75 s of paced checks
  const open = await outcome(c.claim(601));
  assertKind(open, "server", "503s while GET shows it open");
  assert.equal(open.err.status, 503);
  assert.ok(/still open/.test(open.err.message), open.err.message);
  assert.equal(srv.count("POST", claimPath(601)), 3, "the claim and two checked re-claims");
  const slow = await outcome(c.claim(603));
  assertKind(slow, "timeout", "no answer while GET shows it open");
  const r = await within(unchecked, 15_000, "unchecked claim");
  assertKind(r, "unknown", "503s and the GET keeps failing");
  assert.ok(r.err.message.includes("GET /api/orders/602"), r.err.message);
  assert.equal(srv.count("POST", claimPath(602)), 1, "never re-claimed without a check");
  log(`unknown after ${srv.count("GET", getPath(602))} failed checks in ${(r.ms / 1000).toFixed(1)} s`);
  // After an unknown outcome, claiming again (either path) asks first: GET says ours, no POST.
  srv.on("GET", getPath(602), { body: owned(602) });
  const gets = srv.count("GET", getPath(602));
  assertStatus(await outcome(c.claimWs(602)), "claimed", "claimWs after unknown: checked first");
  assert.equal(srv.count("POST", claimPath(602)) + srv.wsClaims(602), 1, "no second claim sent");
  assert.equal(srv.count("GET", getPath(602)), gets + 1, "one GET");
  // A 409 after an attempt of ours with no answer may be that attempt landing late: checked.
  srv.on("POST", claimPath(604), { status: 503 }, { status: 409, body: { error: "not open" } });
  srv.on("GET", getPath(604), { body: order(604) }, { body: owned(604) });
  assertStatus(await outcome(c.claim(604)), "claimed", "503, open, 409, then GET says ours");
  assert.equal(srv.count("GET", getPath(604)), 2, "the 409 was checked");
});

// ---- 6. unreadable amounts fail closed -------------------------------------------------

/** A canonical new_order frame with raw JSON text for the amounts. */
const frame = (id, fiat, usd = "7.75") =>
  `{"type":"new_order","order":{"id":${id},"amount_fiat":${fiat},"currency":"KES","amount_usd":${usd},"crypto_symbol":"USDT","crypto_chain":"TRC20","status":"open","created_at":"2026-01-01T00:00:00Z"}}`;
/** The same with other keys first and no trailing fields (the general decoder's path). */
const scanned = (id, fiat, usd = "7.75") => `{"type":"new_order","order":{"currency":"KES","amount_usd":${usd},"amount_fiat":${fiat},"id":${id}}}`;
const missing = (id, field) => {
  const o = order(id);
  delete o.lp_id;
  delete o[field];
  return JSON.stringify({ type: "new_order", order: o });
};

test("6. unreadable amounts are null, pass no limit, and raise one error naming order and field; ids >= 2^53 refused", async (t) => {
  const badFiat = [[611, frame(611, '"50,000"')], [612, frame(612, '{"value":50000}')], [613, missing(613, "amount_fiat")],
    [614, frame(614, '"KES 5"')], [616, frame(616, "[5]")], [617, frame(617, "true")], [618, frame(618, '"1e400"')], [619, frame(619, "null")]];
  const badUsd = [[621, frame(621, "1000", '"1,000"')], [622, frame(622, "1000", "{}")], [623, missing(623, "amount_usd")], [624, frame(624, "1000", '"$7"')]];
  const srv = await hostile(t, {
    orders: [{ ...order(650, { amount_fiat: "50,000" }), lp_id: undefined }, { ...order(651, { amount_fiat: 100 }), lp_id: undefined }],
  });
  const plain = client(t, srv);
  const fiatCap = client(t, srv, { orderFilter: { maxAmountFiat: { KES: 20000 } } });
  const usdCap = client(t, srv, { orderFilter: { maxAmountUsd: 100000 } });
  const all = [plain, fiatCap, usdCap];
  const evs = all.map(events);
  const inits = await Promise.all(all.map((c) => c.connect()));
  assert.deepEqual(inits[0].orders.map((o) => [o.id, o.amount_fiat]), [[650, null], [651, 100]], "init: unreadable is null");
  assert.deepEqual(inits[1].orders.map((o) => o.id), [651], "init: the fiat limit drops the unreadable one");
  await until(() => srv.liveConns().length === 3, 3000, "three sockets");
  // Ids JS cannot tell apart first, then a sentinel.
  for (const id of ["9007199254740993", "9007199254740992", "1e16", '"9007199254740993"']) srv.broadcast(frame(id, "100"));
  srv.broadcast(newOrderFrame(639));
  await until(() => evs.every((e) => e.of("order").some((o) => o.id === 639)), 3000, "sentinel 639");
  for (const [i, e] of evs.entries()) {
    const orders = e.of("order").map((o) => o.id);
    assert.deepEqual(orders, [639], `client ${i}: no order event for ids >= 2^53 (${orders})`);
    const refused = e.of("error").filter((x) => x.kind === "protocol" && x.orderId === undefined);
    assert.equal(refused.length, 4, `client ${i}: one error per refused id: ${refused.map((x) => x.message)}`);
  }
  for (const [, f] of [...badFiat, ...badUsd]) srv.broadcast(f);
  srv.broadcast(frame(631, '"5000"'));
  srv.broadcast(frame(632, '"5000.5"', '"38.5"'));
  srv.broadcast(frame(633, '"50000"'));
  srv.broadcast(newOrderFrame(640, { amount_fiat: 100 }));
  await until(() => evs.every((e) => e.of("order").some((o) => o.id === 640)), 3000, "sentinel 640");
  const got = evs.map((e) => new Map(e.of("order").map((o) => [o.id, o])));
  const ids = (m) => [...m.keys()].filter((id) => id !== 639).sort((a, b) => a - b);
  const fiatIds = badFiat.map(([id]) => id);
  const usdIds = badUsd.map(([id]) => id);
  assert.deepEqual(ids(got[0]), [...fiatIds, ...usdIds, 631, 632, 633, 640], "no filter: every order arrives");
  for (const id of fiatIds) assert.equal(got[0].get(id).amount_fiat, null, `${id}: amount_fiat null`);
  for (const id of usdIds) assert.equal(got[0].get(id).amount_usd, null, `${id}: amount_usd null`);
  assert.deepEqual([got[0].get(631).amount_fiat, got[0].get(632).amount_fiat, got[0].get(632).amount_usd], [5000, 5000.5, 38.5], "numeric strings read as numbers");
  assert.deepEqual(ids(got[1]), [...usdIds, 631, 632, 640], "maxAmountFiat: no unreadable amount_fiat, no 50000");
  assert.deepEqual(ids(got[2]), [...fiatIds, 631, 632, 633, 640], "maxAmountUsd: no unreadable amount_usd");
  assert.ok(fiatCap.openOrders().every((o) => o.amount_fiat !== null && o.amount_fiat <= 20000), "fiat-capped book holds readable amounts only");
  for (const [i, e] of evs.entries()) {
    for (const [id, field] of [...fiatIds.map((id) => [id, "amount_fiat"]), ...usdIds.map((id) => [id, "amount_usd"]), [650, "amount_fiat"]]) {
      const named = e.of("error").filter((x) => x.orderId === id);
      assert.equal(named.length, 1, `client ${i}: one error for ${id}`);
      assert.equal(named[0].kind, "protocol");
      assert.ok(named[0].message.includes(String(id)) && named[0].message.includes(field), `client ${i}: ${named[0].message}`);
    }
    assert.equal(e.of("error").filter((x) => [631, 632, 633, 640, 651].includes(x.orderId)).length, 0, "no error for readable amounts");
  }
});

/** One plain and one fiat-capped client on a fresh server; `send` broadcasts and waits for a sentinel. */
async function amountClients(t) {
  const srv = await hostile(t);
  const plain = client(t, srv);
  const capped = client(t, srv, { orderFilter: { maxAmountFiat: { KES: 20000 } } });
  const evs = [events(plain), events(capped)];
  await Promise.all([plain.connect(), capped.connect()]);
  await until(() => srv.liveConns().length === 2, 3000, "two sockets");
  let sentinel = 690_000;
  const send = async (frames) => {
    for (const f of frames) srv.broadcast(f);
    const id = sentinel++;
    srv.broadcast(newOrderFrame(id, { amount_fiat: 1 }));
    await until(() => evs.every((e) => e.of("order").some((o) => o.id === id)), 3000, `sentinel ${id}`);
  };
  return { srv, plain, capped, evs, send };
}

test("6b. an amount out of f64 range (1e400, -1e400): null, named in one error, never past a limit (issue #14 §1)", async (t) => {
  const { evs, send } = await amountClients(t);
  await send([frame(661, "1e400"), scanned(662, "1e400"), frame(663, "1000", "-1e400"), scanned(664, "-1e400")]);
  const [plain, capped] = evs.map((e) => new Map(e.of("order").map((o) => [o.id, o])));
  assert.ok(![661, 662].some((id) => capped.has(id)), "fail closed: never past maxAmountFiat");
  for (const [id, field] of [[661, "amount_fiat"], [662, "amount_fiat"], [663, "amount_usd"], [664, "amount_fiat"]]) {
    assert.ok(plain.has(id), `order ${id} arrives (${field} out of range reads as null)`);
    assert.equal(plain.get(id)[field], null, `${id}: ${field} null`);
    const named = evs[0].of("error").filter((e) => e.orderId === id);
    assert.equal(named.length, 1, `one error names order ${id}`);
    assert.ok(named[0].message.includes(field), named[0].message);
  }
});

test("6c. amounts read exactly as JSON.parse reads them (limits compare the true value); beyond 1e22, within 16 ulps (json.rs)", async (t) => {
  const { evs, send } = await amountClients(t);
  const tokens = ["20000", "19999.99", "0.1", "0.30000000000000004", "123456.789", "1e23", "1e22", "5e-324", "2.2250738585072014e-308",
    "20000.000000000002", "20000.000000000004", "9007199254740993", "1234567.8901234567", "1E2", "-0"];
  // Outside the reader's exact class (m·10^e with e > 22): within its documented 16 ulps.
  const far = ["1e308", "1.7976931348623157e308", "8.98846567431158e307"];
  const frames = [];
  tokens.forEach((tok, i) => frames.push(frame(670_000 + i, tok), scanned(671_000 + i, tok), frame(672_000 + i, `"${tok}"`)));
  far.forEach((tok, i) => frames.push(frame(673_000 + i, tok)));
  await send(frames);
  const plain = new Map(evs[0].of("order").map((o) => [o.id, o]));
  const capped = new Set(evs[1].of("order").map((o) => o.id));
  const wrong = [];
  tokens.forEach((tok, i) => {
    const want = JSON.parse(tok);
    for (const [how, id] of [["canonical", 670_000 + i], ["scanned", 671_000 + i], ["string", 672_000 + i]]) {
      const got = plain.get(id)?.amount_fiat;
      if (!Object.is(got, want)) wrong.push(`${how} ${tok} -> ${got} (JSON.parse: ${want})`);
      if (capped.has(id) !== want <= 20000) wrong.push(`${how} ${tok}: maxAmountFiat 20000 ${capped.has(id) ? "passed" : "refused"} it`);
    }
  });
  far.forEach((tok, i) => {
    const want = JSON.parse(tok);
    const got = plain.get(673_000 + i)?.amount_fiat;
    const ulp = want * Number.EPSILON;
    if (!(Math.abs(got - want) <= 16 * ulp)) wrong.push(`${tok} -> ${got}: more than 16 ulps from ${want}`);
  });
  assert.deepEqual(wrong, [], "every amount as JSON.parse reads it");
});

// ---- 7. body caps (node:http) ---------------------------------------------------------

test("7. REST bodies capped while streaming: 600 MB does not crash Node, 200 MB does not grow wasm memory", async (t) => {
  const srv = await hostile(t);
  const prefix = (id) => `{"id":${id},"status":"claimed","lp_id":12,"pad":"`;
  srv.on("POST", claimPath(701), { stream: { bytes: 600e6, prefix: prefix(701) } });
  srv.on("GET", getPath(701), { body: owned(701) });
  srv.on("POST", claimPath(702), { stream: { bytes: 600e6, prefix: prefix(702), contentLength: true } });
  srv.on("GET", getPath(702), { body: owned(702, 99) });
  srv.on("POST", claimPath(703), { stream: { bytes: 200e6, prefix: prefix(703) } });
  srv.on("GET", getPath(703), { body: owned(703, 99) });
  srv.on("POST", claimPath(704), { body: sized(owned(704), MiB - 16) });
  srv.on("POST", claimPath(705), { body: sized(owned(705), MiB) });
  const mark = uncaught.length;
  const c = client(t, srv);
  await c.connect();

  let t0 = performance.now();
  const r1 = await within(outcome(c.claim(701)), 20_000, "600 MB answer");
  assertStatus(r1, "claimed", "600 MB chunked answer: cut off, GET says ours");
  const sent1 = srv.matching("POST", claimPath(701))[0].bytesSent;
  log(`600 MB claim answer (chunked): server wrote ${mb(sent1)} before the client went; settled in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.ok(sent1 < 64e6, `the client stopped reading: ${sent1}`);
  assert.equal(srv.count("GET", getPath(701)), 1, "reconciled by GET");
  assertStatus(await within(outcome(c.claim(702)), 20_000, "declared 600 MB"), "taken", "declared 600 MB: GET decides");

  gc();
  const w0 = wasmBytes();
  const m0 = process.memoryUsage();
  t0 = performance.now();
  const r3 = await within(outcome(c.claim(703)), 20_000, "200 MB answer");
  assertStatus(r3, "taken", "200 MB answer: cut off, GET decides");
  gc();
  const w1 = wasmBytes();
  const m1 = process.memoryUsage();
  log(`200 MB claim answer: wasm memory ${mb(w0)} -> ${mb(w1)}; rss ${mb(m0.rss)} -> ${mb(m1.rss)}; heap ${mb(m0.heapUsed)} -> ${mb(m1.heapUsed)}; server wrote ${mb(srv.matching("POST", claimPath(703))[0].bytesSent)} (${(performance.now() - t0).toFixed(0)} ms)`);
  assert.ok(w1 - w0 <= 4 * MiB, `wasm memory grew ${w1 - w0} bytes`);

  const under = await outcome(c.claim(704));
  assertStatus(under, "claimed", "a body 16 bytes under the cap is read");
  assert.equal(under.ok.order.pad.length, MiB - 16 - JSON.stringify({ ...owned(704), pad: "" }).length);
  assertStatus(await outcome(c.claim(705)), "claimed", "a body of exactly the cap is read");
  assert.equal(srv.count("GET", getPath(704)) + srv.count("GET", getPath(705)), 0, "no check for readable answers");
  await sleep(50);
  noUncaught(mark);
});

test("7c. maxBodyBytes 4096: a 5000-byte answer proves nothing (checked by GET), a 4000-byte one is read; Node does not crash", async (t) => {
  const srv = await hostile(t);
  srv.on("POST", claimPath(706), { body: sized(owned(706), 5000) });
  srv.on("GET", getPath(706), { body: owned(706, 99) });
  srv.on("POST", claimPath(707), { body: sized(owned(707), 4000) });
  srv.on("POST", claimPath(708), { stream: { bytes: 60_000, prefix: '{"id":708,"status":"claimed","lp_id":12,"pad":"' } });
  srv.on("GET", getPath(708), { body: owned(708, 99) });
  const mark = uncaught.length;
  const c = client(t, srv, { maxBodyBytes: 4096 });
  await c.connect();
  assertStatus(await outcome(c.claim(706)), "taken", "a 5000-byte answer proves nothing");
  assert.equal(srv.count("GET", getPath(706)), 1, "checked by GET");
  assertStatus(await outcome(c.claim(708)), "taken", "a 60 KB chunked answer proves nothing");
  assertStatus(await outcome(c.claim(707)), "claimed", "a 4000-byte answer is read");
  await sleep(50);
  noUncaught(mark);
});

test("7d. a trickled answer is bounded by the request timeout (body included), then checked", async (t) => {
  const srv = await hostile(t);
  const body = JSON.stringify(owned(711));
  const parts = body.match(/.{1,8}/g);
  srv.on("POST", claimPath(711), { trickle: { parts, intervalMs: 100 } });
  srv.on("GET", getPath(711), { body: owned(711, 99) });
  const c = client(t, srv, { requestTimeoutMs: 400 });
  await c.connect();
  const r = await within(outcome(c.claim(711)), 8000, "trickled claim");
  assertStatus(r, "taken", "the trickled 200 was cut off by the timeout; GET decides");
  assert.ok(srv.count("GET", getPath(711)) >= 1);
  assert.ok(r.ms < 3000, `bounded: ${r.ms} ms`);
});

// ---- 8. frames counted in UTF-8 bytes -------------------------------------------------

test("8. frames: 800 KB of non-ASCII is read; over 1 MiB of UTF-8 bytes is refused; the socket survives", async (t) => {
  const srv = await hostile(t);
  const c = client(t, srv);
  const ev = events(c);
  await c.connect();
  await until(() => srv.liveConns().length === 1, 2000, "socket");
  const errorsBefore = ev.of("error").length;
  srv.broadcast(`{"type":"error","message":"${"ü".repeat(400_000)}"}`); // 800,030 bytes
  const chain = "€".repeat(270_000); // 810,000 bytes
  srv.broadcast(newOrderFrame(801, { crypto_chain: chain }));
  await until(() => ev.of("order").some((o) => o.id === 801), 5000, "the 810 KB order");
  const errs = ev.of("error").slice(errorsBefore);
  assert.equal(errs.length, 1, `one error event: ${errs.map((e) => e.message.slice(0, 80))}`);
  assert.ok(!/1 MiB/.test(errs[0].message) && errs[0].message.includes("ü"), `the 800 KB error frame was read: ${errs[0].message.slice(0, 80)}`);
  assert.ok(Buffer.byteLength(errs[0].message) <= 400, "its message is cut");
  assert.equal(ev.of("order").find((o) => o.id === 801).crypto_chain, chain, "the long non-ASCII field arrives intact");
  // Exactly 1 MiB of UTF-8 is accepted, one byte more is refused.
  const exact = (id, bytes) => {
    const shell = newOrderFrame(id, { crypto_chain: "" });
    const room = bytes - Buffer.byteLength(shell);
    const f = newOrderFrame(id, { crypto_chain: "é".repeat(room >> 1) + (room & 1 ? "a" : "") });
    assert.equal(Buffer.byteLength(f), bytes);
    return f;
  };
  srv.broadcast(exact(802, MiB));
  srv.broadcast(exact(803, MiB + 1));
  srv.broadcast(newOrderFrame(804, { crypto_chain: "é".repeat(600_000) })); // 1.2 MB, 600k UTF-16 units
  srv.broadcast(newOrderFrame(805));
  await until(() => ev.of("order").some((o) => o.id === 805), 5000, "order after the big frames");
  const ids = ev.of("order").map((o) => o.id);
  assert.ok(ids.includes(802), "a frame of exactly 1 MiB is read");
  assert.ok(!ids.includes(803) && !ids.includes(804), "frames over 1 MiB of UTF-8 are refused");
  const big = ev.of("error").slice(errorsBefore + 1);
  assert.equal(big.length, 2, `two refusals: ${big.map((e) => e.message)}`);
  for (const e of big) assert.ok(e.kind === "protocol" && /1 MiB/.test(e.message), e.message);
  assert.equal(c.state, "live", "the connection survives");
  assert.equal(srv.liveConns().length, 1, "same socket");
});

// ---- 9. a 74,000-order init ---------------------------------------------------------

test("9. init with ~74,000 orders (~1 MiB): event-loop block measured, book holds bookCapacity newest, one error says so", async (t) => {
  const N = 74_000;
  const initOf = (first) => {
    const ids = [];
    for (let i = N - 1; i >= 0; i--) ids.push(`{"id":${first + i}}`); // newest first
    return `{"type":"init","orders":[${ids.join(",")}],"lp_id":12,"currencies":[]}`;
  };
  const frames = [initOf(10_000), initOf(10_500)];
  for (const f of frames) assert.ok(Buffer.byteLength(f) <= MiB);
  let sent = 0;
  const srv = await hostile(t, { init: () => frames[Math.min(sent++, 1)] });
  const blocks = [];
  class Timed extends globalThis.WebSocket {
    set onmessage(fn) {
      super.onmessage = fn && ((e) => {
        const t0 = performance.now();
        try {
          fn(e);
        } finally {
          if (e.data.length > 100_000) blocks.push(performance.now() - t0);
        }
      });
    }
    get onmessage() {
      return super.onmessage;
    }
  }
  const c = client(t, srv, { WebSocket: Timed });
  const ev = events(c);
  // The longest gap between 1 ms ticks while the init arrives (the frame's whole cost:
  // the socket's parsing and the client's).
  let last = performance.now();
  let lag = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last);
    last = now;
  }, 1);
  t.after(() => clearInterval(tick));
  const init = await c.connect();
  await sleep(20); // (the tick after the frame's task)
  const lag1 = lag;
  lag = 0;
  const top = (first) => Array.from({ length: 1000 }, (_, i) => first + N - 1 - i);
  assert.equal(init.orders.length, 1000);
  assert.deepEqual(c.openOrders().map((o) => o.id), top(10_000), "the 1000 newest, newest first");
  const cut = () => ev.of("error").filter((e) => /bookCapacity/.test(e.message));
  assert.equal(cut().length, 1, `one error says the init was cut: ${cut().map((e) => e.message)}`);
  log(`74k init (${mb(Buffer.byteLength(frames[0]))}): onmessage blocked the event loop ${blocks[0].toFixed(1)} ms; longest gap between 1 ms ticks ${lag1.toFixed(1)} ms`);
  // Reconnect: a second full init is diffed against the book (the resync path).
  srv.dropAll();
  await until(() => ev.of("init").length === 2, 5000, "second init");
  await sleep(20);
  const lag2 = lag;
  assert.deepEqual(c.openOrders().map((o) => o.id), top(10_500), "after resync: the 1000 newest of the new init");
  assert.equal(cut().length, 2, "one error per cut init");
  clearInterval(tick);
  log(`74k init again (resync): onmessage blocked ${blocks[1].toFixed(1)} ms; longest gap between 1 ms ticks ${lag2.toFixed(1)} ms (reconnect included)`);
  for (const b of blocks) assert.ok(b < 1000, `event loop blocked ${b} ms (was 2.5-5.1 s before the fix)`);
});

// ---- 10. the key never leaks ----------------------------------------------------------

const PIECES = new Set(Array.from({ length: KEY.length - 3 }, (_, i) => KEY.slice(i, i + 4)));
/** The first 4-character piece of the key found in `text`, or null. */
function leak(text) {
  if (typeof text !== "string") return null;
  for (const p of PIECES) if (text.includes(p)) return p;
  return null;
}
function texts(v) {
  if (v instanceof Error) return [v.message, String(v), JSON.stringify(v), v.stack];
  return [JSON.stringify(v, (_, x) => (x instanceof Error ? { ...x, message: x.message, str: String(x), stack: x.stack } : x))];
}
/** A pad of exactly `bytes` UTF-8 bytes, ASCII or not. */
const pad = (bytes, wide) => (wide ? "é".repeat(bytes >> 1) + (bytes & 1 ? "." : "") : ".".repeat(bytes));
/** The key spelled with JSON \u escapes (decoded, it is the key). */
const escapedKey = [...KEY].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

test("10. the key never leaks, not even in part, around every cut (REST 200, unknown type 64, error frame 200)", async (t) => {
  assert.equal(leak(`xx${KEY.slice(9, 13)}yy`), KEY.slice(9, 13), "the detector finds a piece");
  const srv = await hostile(t);
  const c = client(t, srv, { requestTimeoutMs: 2000 });
  const ev = events(c);
  await c.connect();
  const seen = [];
  const offsets = (cut) => Array.from({ length: KEY.length + 6 }, (_, i) => cut - KEY.length - 3 + i);
  // REST error details (claim 400, getOrder 404, claim 503 x3 with GET open), cut at 200 bytes.
  let id = 10_000;
  const calls = [];
  for (const off of offsets(200)) {
    for (const [wide, key] of [[false, KEY], [true, KEY], [false, escapedKey]]) {
      const detail = `${pad(off, wide)}${key}${pad(20, wide)}`;
      const json = (field) => `{"${field}":"${detail}"}`;
      const a = id++, b = id++, g = id++, s = id++;
      srv.on("POST", claimPath(a), { status: 400, body: json("error") });
      srv.on("POST", claimPath(b), { status: 422, body: json("message") });
      srv.on("GET", getPath(g), { status: 404, body: json("error") });
      srv.on("POST", claimPath(s), { status: 503, body: json("error") });
      srv.on("GET", getPath(s), { body: order(s) });
      calls.push(outcome(c.claim(a)), outcome(c.claim(b)), outcome(c.getOrder(g)), outcome(c.claim(s)));
    }
  }
  const rest = await within(Promise.all(calls), 20_000, "REST error answers");
  for (const r of rest) {
    assert.ok(r.err, `each call fails: ${show(r)}`);
    seen.push(r.err);
  }
  assert.ok(rest.some((r) => r.err.message.includes("<redacted>")), "the key was there to redact");
  // Frames: unknown types cut at 64 bytes, error messages at 200, and text that is not JSON.
  let frames = 0;
  for (const wide of [false, true]) {
    for (const off of offsets(64)) {
      srv.broadcast(`{"type":"${pad(off, wide)}${KEY}${pad(8, wide)}"}`);
      srv.broadcast(`{"type":"${pad(off, wide)}${escapedKey}"}`);
      frames += 2;
    }
    for (const off of offsets(200)) {
      srv.broadcast(`{"type":"error","message":"${pad(off, wide)}${KEY}${pad(8, wide)}"}`);
      srv.broadcast(`{"type":"error","message":"${pad(off, wide)}${escapedKey}","order_id":77}`);
      srv.broadcast(`{"type":"new_order","order":{"id":1,"x":"${pad(off, wide)}${KEY}`); // not JSON
      frames += 3;
    }
  }
  srv.broadcast(newOrderFrame(19_999));
  await until(() => ev.of("order").some((o) => o.id === 19_999), 5000, "sentinel");
  const frameErrors = ev.of("error");
  assert.ok(frameErrors.length >= frames, `an error event per frame: ${frameErrors.length} of ${frames}`);
  // A close reason naming the key, then the reconnect.
  for (const ws of srv.conns) ws.close(4001, `${pad(80, false)}${KEY}`);
  await until(() => ev.of("init").length === 2, 5000, "reconnect");
  for (const v of [...seen, ...ev.all.map((e) => e.p)]) {
    for (const s of texts(v)) {
      const piece = leak(s);
      assert.equal(piece, null, `key piece "${piece}" in: ${s?.slice(0, 300)}`);
    }
  }
  for (const r of srv.requests) assert.equal(leak(r.path), null, `key in a URL: ${r.path}`);
  log(`key sweep: ${rest.length} REST errors and ${frameErrors.length} error events checked, no piece of the key`);
});

// ---- 11. random and mutated frames at full rate --------------------------------------------

function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzFrames(count, seed) {
  const rnd = rng(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (a) => a[int(a.length)];
  const bases = [
    () => `{"type":"init","orders":[${newOrderFrame(int(1e6)).slice(29, -1)},{"id":${int(1e6)},"amount_fiat":${int(1e5)},"currency":"NGN"}],"lp_id":12,"currencies":["KES"]}`,
    () => newOrderFrame(int(1e9), { amount_fiat: int(40_000), currency: pick(["KES", "NGN", "KES", "GHS"]) }),
    () => `{"type":"new_order","order":{"currency":"KES","id":${int(1e9)},"amount_usd":1.5,"amount_fiat":${int(40_000)},"extra":[1,{"a":null}]}}`,
    () => `{"type":"order_taken","order_id":${int(1e9)}}`,
    () => `{"type":"claimed","order_id":${int(1e9)}}`,
    () => `{"type":"pong","ts":${Date.now()}}`,
    () => `{"type":"error","message":"Order not available","order_id":${int(1e9)}}`,
    () => `{"type":"auth_required","message":"again?"}`,
  ];
  const huge = ["1e400", "-1e400", "123456789012345678901234567890", "9007199254740993", "-0", "1e-400", "18446744073709551616", "0.1e1", "-5", "1.5", "NaN", "Infinity", "0x10", "1e", "--1"];
  const junk = ['"', "{", "}", "[", "]", ":", ",", "\\", "\\u", "\\ud800", "\\udc00", "\ud800", "\udfff", "\u0000", "é", "€", "😀", "null", "true", " ", "\n", '"type":"init"', '"orders":', "9".repeat(400)];
  const mutate = [
    (s) => { const i = int(s.length); return s.slice(0, i) + pick(junk) + s.slice(i + 1); }, // byte flip
    (s) => s.slice(0, int(s.length)), // truncation
    (s) => s.replace(/"(type|order|order_id|id|orders)":/, (m) => `${m}${pick(['"init",', '"new_order",', "1,", "null,", "[],", '{"id":1},'])}${m}`), // duplicated key
    (s) => s.replace(/-?\d+(\.\d+)?/g, (m) => (rnd() < 0.5 ? pick(huge) : m)), // huge numbers
    (s) => { const d = 50 + int(3000); const o = pick(["[", '{"a":']); const cl = o === "[" ? "]" : "}"; return s.replace(/:(\{|\[|\d)/, `:${o.repeat(d)}1${cl.repeat(rnd() < 0.8 ? d : int(d))},"z":$1`); }, // deep nesting
    (s) => { const i = int(s.length); return s.slice(0, i) + pick(["\ud800", "\udc00", "\\ud800", "\\udfff\\ud800", "\ud83d"]) + s.slice(i); }, // surrogates
    (s) => { let t = s; for (let k = 0; k < 1 + int(6); k++) { const i = int(t.length); t = t.slice(0, i) + String.fromCharCode(int(0x3000)) + t.slice(i + 1); } return t; }, // several flips
  ];
  const out = [];
  for (let i = 0; i < count; i++) {
    let f = pick(bases)();
    const n = int(4);
    for (let k = 0; k < n; k++) f = pick(mutate)(f);
    out.push(f);
  }
  return out;
}

test("11. 50,000 random and mutated frames at full rate: no crash, bounded memory, still usable", async (t) => {
  const COUNT = 50_000;
  const seed = 0x14c1a1;
  const frames = fuzzFrames(COUNT, seed);
  const srv = await hostile(t);
  const plain = client(t, srv);
  const capped = client(t, srv, { orderFilter: { currencies: ["KES"], maxAmountFiat: { KES: 20000 } } });
  const bad = [];
  const counts = [{}, {}];
  const check = (o, filtered) => {
    const fine =
      Number.isSafeInteger(o.id) && o.id >= 0 &&
      (o.amount_fiat === null || Number.isFinite(o.amount_fiat)) &&
      (o.amount_usd === null || Number.isFinite(o.amount_usd)) &&
      ["currency", "crypto_symbol", "crypto_chain", "status", "created_at"].every((k) => typeof o[k] === "string") &&
      (!filtered || (o.currency === "KES" && o.amount_fiat !== null && o.amount_fiat <= 20000));
    if (!fine && bad.length < 10) bad.push({ filtered, o });
  };
  for (const [i, c] of [plain, capped].entries()) {
    for (const n of EVENTS) c.on(n, () => (counts[i][n] = (counts[i][n] ?? 0) + 1));
    c.on("order", (o) => check(o, i === 1));
  }
  await Promise.all([plain.connect(), capped.connect()]);
  await until(() => srv.liveConns().length === 2, 3000, "two sockets");
  const mark = uncaught.length;
  gc();
  const before = { ...process.memoryUsage(), wasm: wasmBytes() };
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < COUNT; i++) {
    const f = frames[i];
    bytes += f.length;
    if (i % 997 === 0) for (const ws of srv.liveConns()) ws.send(Buffer.from(f), { binary: true });
    else srv.broadcast(f);
    if (i % 500 === 499) {
      await new Promise(setImmediate);
      while ([...srv.conns].some((ws) => ws.bufferedAmount > 4 * MiB)) await sleep(1);
    }
  }
  const sentinel = newOrderFrame(4_000_000_001, { amount_fiat: 10 });
  const got = (c) => c.openOrders().some((o) => o.id === 4_000_000_001);
  await until(() => srv.liveConns().length === 2 && plain.state === "live" && capped.state === "live", 10_000, "both live");
  srv.broadcast(sentinel);
  await until(() => got(plain) && got(capped), 10_000, "the valid order after the fuzz");
  const took = performance.now() - t0;
  gc();
  const afterMem = { ...process.memoryUsage(), wasm: wasmBytes() }; // (the frames are still held, as before)
  frames.length = 0;
  const fmt = (k) => `${k} ${mb(before[k])} -> ${mb(afterMem[k])}`;
  log(`fuzz: ${COUNT} frames (${mb(bytes)} of text, seed ${seed}) to 2 clients in ${(took / 1000).toFixed(2)} s (${Math.round(COUNT / (took / 1000))} frames/s per client)`);
  log(`fuzz memory: ${["heapUsed", "rss", "external", "arrayBuffers", "wasm"].map(fmt).join("; ")}`);
  log(`fuzz events: plain ${JSON.stringify(counts[0])}; filtered ${JSON.stringify(counts[1])}`);
  assert.deepEqual(bad, [], "every order event is well-formed, and the filtered client's pass its filter");
  assert.ok(plain.openOrders().every((o) => Number.isSafeInteger(o.id)), "book ids are safe integers");
  assert.ok(capped.openOrders().every((o) => o.currency === "KES" && o.amount_fiat !== null && o.amount_fiat <= 20000), "filtered book passes the filter");
  assert.ok(counts[0].error > 1000, "the fuzz did reach the decoder");
  assert.ok(afterMem.wasm - before.wasm <= 8 * MiB, `wasm memory grew ${afterMem.wasm - before.wasm}`);
  assert.ok(afterMem.heapUsed - before.heapUsed <= 64 * MiB, `heap grew ${afterMem.heapUsed - before.heapUsed}`);
  noUncaught(mark);
});
