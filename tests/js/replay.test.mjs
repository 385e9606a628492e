// Recording and replay through the package (issue 21): the simulator's `--record` and the
// CLI bot's `--record` each give a recording `rampwire-lp replay` reads end to end; the
// same recording and policies give the same report byte for byte; two policies side by
// side; a truncated, garbage or out-of-order line stops with the file and line (or is
// skipped and counted with --skip-bad); a policy with an unknown or duplicate key says
// which; no piece of the key is in any recording; rotation keeps every part replayable;
// the package API (`BotReplay` + `replay()`) gives what the CLI prints; the edge bot's
// recording in its storage (RECORD_MAX_KB), bounded, exported, kept across a restart.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { startSim, until, ROOT, KEY, KEY2 } from "./sim.mjs";

const BIN = path.join(ROOT, "pkg/drivers/bin.mjs");
const DIR = mkdtempSync(path.join(tmpdir(), "rampwire-replay-"));
after(() => rmSync(DIR, { recursive: true, force: true }));
const file = (name) => path.join(DIR, name);

const KES_ONLY = "ALLOWED_CURRENCIES=KES\nMAX_AMOUNT=KES:20000\nMAX_OPEN_CLAIMS=3\n";
const KES_NGN = "ALLOWED_CURRENCIES=KES,NGN\nMAX_AMOUNT=KES:50000,NGN:150000\nMAX_OPEN_CLAIMS=10\n";
writeFileSync(file("kes.env"), KES_ONLY);
writeFileSync(file("wide.env"), KES_NGN);
// For live scenarios whose orders may stay open: no collateral limit in the way.
writeFileSync(file("e2e-kes.env"), "ALLOWED_CURRENCIES=KES\nMAX_AMOUNT=KES:20000\nMAX_OPEN_CLAIMS=50\n");
writeFileSync(file("e2e-wide.env"), "ALLOWED_CURRENCIES=KES,NGN\nMAX_AMOUNT=KES:50000,NGN:150000\nMAX_OPEN_CLAIMS=50\n");

/** Runs `rampwire-lp ...args` to its end: { code, stdout, stderr }. */
function cli(...args) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ["--experimental-websocket", BIN, ...args], { env: { PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every 6-character piece of `key` (a recording may hold none of them). */
const pieces = (key) => Array.from({ length: key.length - 5 }, (_, i) => key.slice(i, i + 6));

/** A short recording by hand (t in ms from a fixed start). */
const T0 = 1_767_225_600_000;
const header = JSON.stringify({ rampwire_recording: 1, source: "test", started_at: T0, complete_states: true });
const newOrder = (dt, id, currency, amount_fiat, amount_usd) =>
  JSON.stringify({ t: T0 + dt, frame: { type: "new_order", order: { id, amount_fiat, currency, amount_usd, crypto_symbol: "usdt", crypto_chain: "trx", status: "open", created_at: "2026-01-01T00:00:00Z" } } });
const taken = (dt, id) => JSON.stringify({ t: T0 + dt, frame: { type: "order_taken", order_id: id } });
const claimedBy = (dt, id, lp) => JSON.stringify({ t: T0 + dt, state: { id, status: "claimed", lp_id: lp } });
const HAND = [
  header,
  newOrder(0, 1, "KES", 5000, 38.5),
  newOrder(100, 2, "NGN", 60000, 40),
  newOrder(200, 3, "KES", 30000, 231),
  taken(900, 1),
  claimedBy(1500, 2, 91),
  taken(4000, 3),
].join("\n") + "\n";
writeFileSync(file("hand.jsonl"), HAND);

test("replay: the same recording and policies give the same report byte for byte, text and JSON", async () => {
  const a = await cli("replay", "--policy", file("kes.env"), "--policy", file("wide.env"), file("hand.jsonl"));
  const b = await cli("replay", "--policy", file("kes.env"), "--policy", file("wide.env"), file("hand.jsonl"));
  assert.equal(a.code, 0, a.stderr);
  assert.ok(a.stdout.length > 200, a.stdout);
  assert.equal(a.stdout, b.stdout);
  const j1 = await cli("replay", "--json", "--policy", file("kes.env"), file("hand.jsonl"));
  const j2 = await cli("replay", "--json", "--policy", file("kes.env"), file("hand.jsonl"));
  assert.equal(j1.code, 0, j1.stderr);
  assert.equal(j1.stdout, j2.stdout);
  JSON.parse(j1.stdout);
});

test("replay: two policies side by side differ where their rules do", async () => {
  const r = await cli("replay", "--json", "--policy", file("kes.env"), "--policy", file("wide.env"), file("hand.jsonl"));
  assert.equal(r.code, 0, r.stderr);
  const [kes, wide] = JSON.parse(r.stdout).policies;
  assert.deepEqual([kes.name, wide.name], ["kes.env", "wide.env"]);
  assert.equal(kes.orders_seen, 3);
  assert.equal(wide.orders_seen, 3);
  // KES only, up to 20,000: order 1; KES and NGN up to 50,000 / 150,000: all three.
  assert.equal(kes.would_claim, 1);
  assert.equal(wide.would_claim, 3);
  assert.equal(kes.by_currency.KES.count, 1);
  assert.equal(kes.by_currency.NGN, undefined);
  assert.equal(wide.by_currency.NGN.count, 1);
  assert.ok(Math.abs(wide.usd_volume - (38.5 + 40 + 231)) < 1e-6, String(wide.usd_volume));
  assert.equal(kes.skipped.currency_not_allowed ?? kes.skipped.currency, 1, JSON.stringify(kes.skipped));
  assert.equal(Object.values(kes.skipped).reduce((s, n) => s + n, 0), 2, JSON.stringify(kes.skipped));
  // The text report names both, in one table.
  const text = await cli("replay", "--policy", file("kes.env"), "--policy", file("wide.env"), file("hand.jsonl"));
  assert.match(text.stdout, /DRY RUN|dry run/i);
  assert.match(text.stdout, /policy\s+kes\.env\s+wide\.env/);
});

test("replay: a truncated, garbage or out-of-order line stops with file:line; --skip-bad skips and counts", async () => {
  const lines = HAND.trim().split("\n");
  const cases = [
    ["truncated.jsonl", [...lines.slice(0, 3), lines[3].slice(0, 30)].join("\n"), 4, /truncated/],
    ["garbage.jsonl", [...lines.slice(0, 2), "this is not json", ...lines.slice(2)].join("\n") + "\n", 3, /not JSON/i],
    ["order.jsonl", [lines[0], lines[3], lines[1], ...lines.slice(4)].join("\n") + "\n", 3, /before the previous line/],
  ];
  for (const [name, text, line, why] of cases) {
    writeFileSync(file(name), text);
    const r = await cli("replay", "--policy", file("kes.env"), file(name));
    assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`${name}: line ${line}: `), name);
    assert.match(r.stderr, why, name);
    assert.doesNotMatch(r.stderr, /panicked|RuntimeError|unreachable/);
    const s = await cli("replay", "--json", "--skip-bad", "--policy", file("kes.env"), file(name));
    assert.equal(s.code, 0, `${name}: ${s.stderr}`);
    const rep = JSON.parse(s.stdout);
    assert.equal(rep.recording.bad_lines_skipped, 1, name);
    assert.match(rep.recording.bad_lines[0], new RegExp(`^line ${line}: `), name);
  }
});

test("replay: a policy file with an unknown or a duplicate key says which; a bad argument is exit 2", async () => {
  writeFileSync(file("typo.env"), "ALLOWED_CURENCIES=KES\n");
  writeFileSync(file("dup.env"), KES_ONLY + "MAX_OPEN_CLAIMS=4\n");
  const typo = await cli("replay", "--policy", file("typo.env"), file("hand.jsonl"));
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /typo\.env/);
  assert.match(typo.stderr, /unknown setting ALLOWED_CURENCIES/);
  const dup = await cli("replay", "--policy", file("dup.env"), file("hand.jsonl"));
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /dup\.env/);
  assert.match(dup.stderr, /MAX_OPEN_CLAIMS is set twice/);
  assert.equal((await cli("replay", file("hand.jsonl"))).code, 2, "no policy");
  assert.equal((await cli("replay", "--policy", file("kes.env"), "--frobnicate", file("hand.jsonl"))).code, 2);
});

test("replay: the package API (BotReplay and replay()) gives the report the CLI prints", async () => {
  const { BotReplay, replay } = await import(path.join(ROOT, "pkg/bot/node.mjs"));
  const policies = [{ name: "kes.env", settings: KES_ONLY }, { name: "wide.env", settings: KES_NGN }];
  const text = replay(BotReplay, HAND, policies, { file: "hand.jsonl" });
  const viaCli = await cli("replay", "--policy", file("kes.env"), "--policy", file("wide.env"), file("hand.jsonl"));
  assert.equal(text.trimEnd(), viaCli.stdout.trimEnd());
  // Fed in pieces that cut lines anywhere: the same report.
  const r = new BotReplay(JSON.stringify(policies), JSON.stringify({ file: "hand.jsonl" }));
  for (let i = 0; i < HAND.length; i += 7) r.push(HAND.slice(i, i + 7));
  assert.equal(r.finish(false), text);
  r.free();
  // A bad line is an LpError naming the file and line.
  assert.throws(() => replay(BotReplay, HAND + "{oops\n", policies, { file: "x.jsonl" }), (e) => e.kind === "invalid_argument" && e.file === "x.jsonl" && e.line === 8 && /x\.jsonl: line 8/.test(e.message));
  assert.throws(() => replay(BotReplay, HAND, [{ name: "t", settings: "MAX_OPN_CLAIMS=1\n" }]), (e) => e.kind === "invalid_argument" && e.policy === "t" && /MAX_OPN_CLAIMS/.test(e.message));
});

/** Starts `rampwire-lp bot` in dry run against `sim` with `args`; resolves once connected. */
async function startBot(sim, journal, args) {
  const child = spawn(process.execPath, ["--experimental-websocket", BIN, "bot", "--journal", journal, "--api-url", sim.base, "--currencies", "KES,NGN", "--max", "KES:50000,NGN:150000", "--max-open", "50", ...args], {
    env: { PATH: process.env.PATH, LP_KEY: KEY },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (l) => lines.push(l));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  await until(() => lines.some((l) => l.includes('"event":"connected"')) || child.exitCode !== null, 8000, "the bot to connect");
  assert.equal(child.exitCode, null, `the bot exited: ${stderr}`);
  return { lines, exited, stop: () => (child.kill("SIGTERM"), exited) };
}

test("replay: a simulator scenario and the CLI bot's dry run, each recorded, replay end to end; no piece of the key in either", async () => {
  const simRec = file("sim.jsonl");
  const botRec = file("bot.jsonl");
  const sim = await startSim(["--record", simRec, "--competitors", "3", "--competitor-delay-ms", "50..400", "--complete-after-ms", "200"]);
  const journal = mkdtempSync(path.join(DIR, "journal-"));
  let bot;
  try {
    bot = await startBot(sim, journal, ["--dry-run", "--record", botRec]);
    const made = [];
    for (let i = 0; i < 12; i++) made.push(await sim.order({ currency: i % 3 === 0 ? "NGN" : "KES", amount_fiat: 1000 + i * 4000 }));
    // Another LP claims one over HTTP (no order_taken; only the simulator's states show it).
    const r = await fetch(`${sim.base}/api/orders/${made[1].id}/claim`, { method: "POST", headers: { authorization: `Bearer ${KEY2}` } });
    assert.ok(r.status === 200 || r.status === 409, `competitor claim: ${r.status}`);
    await until(() => readFileSync(botRec, "utf8").split("\n").filter((l) => l.includes('"new_order"')).length >= 12, 8000, "the bot's recording of 12 orders");
    await new Promise((res) => setTimeout(res, 600));
    assert.equal((await bot.stop()), 0);
    bot = null;
    const claims = (await sim.requests()).filter((l) => /^POST \/api\/orders\/\d+\/claim$/.test(l));
    assert.deepEqual(claims, [`POST /api/orders/${made[1].id}/claim`], "the dry-run bot sent no claim: only the other LP's is logged");
  } finally {
    await bot?.stop();
    await sim.stop();
  }
  for (const rec of [simRec, botRec]) {
    const text = readFileSync(rec, "utf8");
    assert.match(text.split("\n")[0], /"rampwire_recording":1/);
    for (const k of [KEY, KEY2]) for (const p of pieces(k)) assert.ok(!text.includes(p), `${path.basename(rec)} holds ${p}`);
    const out = await cli("replay", "--json", "--policy", file("e2e-kes.env"), "--policy", file("e2e-wide.env"), rec);
    assert.equal(out.code, 0, `${rec}: ${out.stderr}`);
    const rep = JSON.parse(out.stdout);
    assert.equal(rep.recording.bad_lines_skipped, 0);
    const [kes, wide] = rep.policies;
    assert.ok(kes.orders_seen >= 12, `${rec}: ${kes.orders_seen}`);
    // 8 KES orders of 5000..45000, of which 3 are up to 20000; 4 NGN orders up to 37000.
    assert.equal(kes.would_claim, 3, `${rec}: ${JSON.stringify(kes)}`);
    assert.equal(wide.would_claim, 12, `${rec}: ${JSON.stringify(wide)}`);
    const fates = Object.values(wide.outcomes).reduce((s, n) => s + n, 0);
    assert.equal(fates, wide.would_claim, `every would-claim has a fate (unknown included): ${JSON.stringify(wide.outcomes)}`);
  }
  const simRep = JSON.parse((await cli("replay", "--json", "--policy", file("e2e-wide.env"), simRec)).stdout);
  assert.equal(simRep.recording.complete_states, true);
  assert.ok(simRep.recording.states >= 1, "the HTTP claim is a state line");
});

test("replay: --record rotates at its bound; every part starts with a header and replays", async () => {
  const sim = await startSim(["--complete-after-ms", "200"]);
  const rec = file("rot.jsonl");
  const journal = mkdtempSync(path.join(DIR, "journal-"));
  let bot;
  try {
    bot = await startBot(sim, journal, ["--record", rec, "--record-max-mb", "0.01"]);
    // ~250 bytes a line, 10 KiB a part: 150 orders rotate 3 times or more.
    for (let i = 0; i < 150; i++) await sim.order({ currency: "KES", amount_fiat: 1000 + i });
    await until(() => existsSync(`${rec}.3`), 8000, "three rotations");
    await until(() => readFileSync(rec, "utf8").includes(`"amount_fiat":1149`), 8000, "the last order recorded");
    assert.equal(await bot.stop(), 0);
    const closed = JSON.parse(bot.lines.find((l) => l.includes('"recording_closed"')));
    assert.ok(closed.rotations >= 3 && closed.dropped === 0, JSON.stringify(closed));
    bot = null;
  } finally {
    await bot?.stop();
    await sim.stop();
  }
  const parts = readdirSync(DIR).filter((f) => f.startsWith("rot.jsonl")).sort();
  assert.deepEqual(parts, ["rot.jsonl", "rot.jsonl.1", "rot.jsonl.2", "rot.jsonl.3"], "the current part and 3 rotated, no more");
  let seen = 0;
  for (const p of parts) {
    const text = readFileSync(file(p), "utf8");
    assert.ok(Buffer.byteLength(text) <= Math.round(0.01 * 1024 * 1024), `${p}: ${text.length} bytes, over --record-max-mb`);
    assert.match(text.split("\n")[0], /"rampwire_recording":1/, p);
    for (const piece of pieces(KEY)) assert.ok(!text.includes(piece), `${p} holds ${piece}`);
    const out = await cli("replay", "--json", "--policy", file("kes.env"), file(p));
    assert.equal(out.code, 0, `${p}: ${out.stderr}`);
    seen += JSON.parse(out.stdout).policies[0].orders_seen;
  }
  // The newest parts are kept whole: the last order is in them, the oldest ones may be gone.
  assert.ok(seen >= 100 && seen <= 150, `the parts kept hold the newest of the 150 orders: ${seen}`);
});

test("replay: the edge bot records into its storage, bounded, exported at GET /bots/{name}/recording, kept across a restart and a drop; its dry run sends no claim", async () => {
  const { startEdge, cleanDirs } = await import("./edge-harness.mjs");
  const sim = await startSim(["--complete-after-ms", "200"]);
  const bindings = { LP_KEY: KEY, DRY_RUN: "", RECORD_MAX_KB: "1" };
  let bot;
  try {
    bot = await startEdge(sim, { bindings });
    const connected = async () => (await bot.status()).connected === true;
    await until(connected, 10_000, "the edge bot to connect");
    const rec = async () => {
      const r = await bot.call("GET", "/bots/primary/recording");
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type"), /ndjson/);
      return typeof r.body === "string" ? r.body : JSON.stringify(r.body) + "\n";
    };
    const first = await sim.order({ currency: "KES", amount_fiat: 5000 });
    await until(async () => (await rec()).includes(`"id":${first.id}`), 5000, "the first order in the recording");
    // A restart: what was stored stays, the new lines follow in time order.
    const dir = bot.dir;
    await bot.mf.dispose();
    bot = await startEdge(sim, { bindings, dir });
    await until(connected, 10_000, "the restarted bot to connect");
    assert.ok((await rec()).includes(`"new_order","order":{"id":${first.id},`), "the lines stored before the restart are kept");
    // A dropped socket: the order made meanwhile is seen after the reconnect (a new init).
    await sim.drop("abort");
    const during = await sim.order({ currency: "KES", amount_fiat: 4321 });
    await until(async () => (await rec()).includes(`"id":${during.id},`), 10_000, "the order made across the drop");
    // Past the bound (1 KiB asks for the least: 32 KiB, plus at most one 32 KiB chunk), the oldest chunks go.
    const N = 300;
    for (let i = 0; i < N; i++) await sim.order({ currency: i % 2 ? "KES" : "NGN", amount_fiat: 1000 + i });
    const last = await sim.order({ currency: "KES", amount_fiat: 9999 });
    await until(async () => (await rec()).includes(`"id":${last.id}`), 10_000, "the last order in the recording");
    const text = await rec();
    const s = (await bot.status()).recording;
    assert.ok(s.stored_bytes >= 32 * 1024 && s.stored_bytes <= 64 * 1024 && s.chunks >= 2, JSON.stringify(s));
    assert.ok(Buffer.byteLength(text) <= 64 * 1024 + 200, `bounded: ${Buffer.byteLength(text)} bytes`);
    assert.ok(!text.includes(`"new_order","order":{"id":${first.id},`), "the oldest lines were rotated away");
    for (const p of pieces(KEY)) assert.ok(!text.includes(p), `the recording holds ${p}`);
    writeFileSync(file("edge.jsonl"), text);
    const out = await cli("replay", "--json", "--policy", file("e2e-wide.env"), file("edge.jsonl"));
    assert.equal(out.code, 0, out.stderr);
    const rep = JSON.parse(out.stdout);
    assert.equal(rep.recording.source, "edge");
    assert.equal(rep.recording.bad_lines_skipped, 0);
    assert.ok(rep.policies[0].orders_seen >= 20 && rep.policies[0].orders_seen < N, `the newest orders: ${rep.policies[0].orders_seen}`);
    assert.equal((await sim.requests()).filter((l) => /\/claim$/.test(l)).length, 0, "a dry run claims nothing, through a restart and a reconnect");
    // RECORD_MAX_KB is checked and named; a bot with 0 (its config over [vars]) records nothing and says how.
    const policy = { ALLOWED_CURRENCIES: "KES", MAX_AMOUNT: "KES:20000", MAX_OPEN_CLAIMS: "3" };
    const bad = await bot.call("PUT", "/bots/rec-bad", { body: { key_secret: "LP_KEY", settings: { ...policy, RECORD_MAX_KB: "99999999" } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /RECORD_MAX_KB/);
    assert.equal((await bot.call("PUT", "/bots/norec", { body: { key_secret: "LP_KEY", settings: { ...policy, RECORD_MAX_KB: "0" } } })).status, 201);
    const none = await bot.call("GET", "/bots/norec/recording");
    assert.equal(none.status, 404);
    assert.match(none.body.error, /RECORD_MAX_KB/);
  } finally {
    await bot?.mf.dispose();
    await sim.stop();
    cleanDirs();
  }
});
