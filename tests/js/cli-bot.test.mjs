// The Node CLI bot (`rampwire-lp bot`, pkg/drivers/) against rampwire-sim, as an operator
// runs it: dry run by default (no claim through a reconnect, a restart and a resync; going
// live and back journaled and kept across restarts), live claims by policy, fiat sent by `ctl`, the journal file
// across restarts and SIGKILL at each step of a claim (exactly one claim at the server),
// lp_id as a string, an expired claim, a refused key, a bad setting, one bot per journal.
import { test, beforeEach, afterEach, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { startSim, until, ROOT, KEY } from "./sim.mjs";

const BIN = path.join(ROOT, "pkg/drivers/bin.mjs");
/** Fast settings: short timeouts so a restart's reconciliation happens within a test. */
const FAST = ["--request-timeout-ms", "500", "--reconcile-interval-ms", "1000", "--set", "BACKOFF_MAX_MS=1000", "--set", "HEARTBEAT_MS=1000"];
const POLICY = ["--currencies", "KES,NGN", "--max", "KES:20000,NGN:150000", "--max-open", "3"];

// A simulator of its own per test: no order of another test is open in its `init`.
let sim;
const dirs = [];
beforeEach(async () => {
  sim = await startSim(["--complete-after-ms", "300"]);
});
afterEach(async () => {
  await sim?.stop();
});
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function journalDir() {
  const d = mkdtempSync(path.join(tmpdir(), "rampwire-cli-"));
  dirs.push(d);
  return d;
}

/** Starts `rampwire-lp bot` (node with the flag itself, so a kill hits the bot, not a wrapper). */
function bot(dir, args = [], env = {}, { bare = false } = {}) {
  const base = bare ? [] : ["--api-url", sim.base, ...POLICY, ...FAST];
  const child = spawn(process.execPath, ["--experimental-websocket", BIN, "bot", "--journal", dir, ...base, ...args], {
    env: { PATH: process.env.PATH, LP_KEY: KEY, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (l) => {
    try {
      lines.push(JSON.parse(l));
    } catch {
      lines.push({ raw: l });
    }
  });
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    /** The first log line passing `pred`. */
    line: (pred, ms = 8000, what = "a log line") => until(() => lines.find(pred), ms, what),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** `rampwire-lp ctl --journal dir ...args` → its JSON answer. */
function ctl(dir, ...args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, "ctl", "--journal", dir, ...args.map(String)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.on("exit", () => {
      try {
        resolve(JSON.parse(out));
      } catch (e) {
        reject(new Error(`ctl ${args.join(" ")}: ${out}`));
      }
    });
  });
}

const live = (b) => b.line((l) => l.event === "connected", 8000, "the bot to connect");
const claimPosts = async (id) => (await sim.requests()).filter((l) => l === `POST /api/orders/${id}/claim`).length;
const journal = (dir) => readFileSync(path.join(dir, "journal.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const entryOf = (dir, id) => journal(dir).filter((op) => op.op === "put" && op.entry.id === id).at(-1)?.entry;

test("cli: a new bot runs in DRY RUN: it journals what it would claim and sends no claim", async () => {
  const dir = journalDir();
  const b = bot(dir);
  try {
    await live(b);
    const o = await sim.order({ currency: "KES", amount_fiat: 5000 });
    await until(async () => entryOf(dir, o.id), 5000, "the would-claim entry");
    const e = entryOf(dir, o.id);
    assert.equal(e.mode, "dry_run");
    const s = await ctl(dir, "status");
    assert.match(s.banner ?? "", /DRY RUN/);
    assert.equal(s.open_claims, 0, "dry-run entries hold no collateral");
    assert.ok(b.lines.some((l) => l.event === "order_seen" && l.mode === "dry_run" && l.id === o.id), "its log line says dry run");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await claimPosts(o.id), 0, "no claim request, ever");
    assert.equal((await sim.orderInfo(o.id)).status, "open");
  } finally {
    assert.equal((await b.stop()).code, 0);
  }
});

test("cli: DRY RUN through a reconnect, a restart and a resync sends no claim; go-live and back are journaled and survive restarts", async () => {
  const dir = journalDir();
  const allClaims = async () => (await sim.requests()).filter((l) => /^POST \/api\/orders\/\d+\/claim$/.test(l));
  let b = bot(dir);
  try {
    await live(b);
    const o1 = await sim.order({ currency: "KES", amount_fiat: 5000 });
    await until(() => entryOf(dir, o1.id), 5000, "o1's would-claim");
    // A dropped socket: the bot reconnects (its init repeats o1) and sees o2.
    const connects = () => b.lines.filter((l) => l.event === "connected").length;
    await sim.drop("close");
    await until(() => connects() >= 2, 8000, "the reconnect");
    const o2 = await sim.order({ currency: "NGN", amount_fiat: 1000 });
    await until(() => entryOf(dir, o2.id), 5000, "o2's would-claim");
    assert.equal((await b.stop()).code, 0);
    // Down: o3 arrives while nobody listens; the restarted bot finds it in its init (resync).
    const o3 = await sim.order({ currency: "KES", amount_fiat: 7000 });
    b = bot(dir);
    await live(b);
    await until(() => entryOf(dir, o3.id), 5000, "o3's would-claim from the resync");
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await allClaims(), [], "no claim request through reconnect, restart and resync");
    for (const o of [o1, o2, o3]) {
      assert.equal(entryOf(dir, o.id).mode, "dry_run");
      assert.equal((await sim.orderInfo(o.id)).status, "open");
    }
    // They end on the server (as orders expire): going live finds nothing to claim.
    for (const o of [o1, o2, o3]) await sim.post(`/_sim/orders/${o.id}/status`, { status: "cancelled" });
    // Live and back by command: each journaled with its source and time.
    const t0 = Date.now();
    assert.equal((await ctl(dir, "go-live")).mode, "live");
    const back = await ctl(dir, "go-dry-run");
    assert.equal(back.mode, "dry_run");
    assert.match(back.banner ?? "", /DRY RUN/);
    const switches = journal(dir).filter((op) => op.op === "mode" && op.record.source === "command").map((op) => op.record);
    assert.deepEqual(switches.map((r) => r.mode), ["live", "dry_run"]);
    for (const r of switches) assert.ok(r.at >= t0 - 1000 && r.at <= Date.now() + 1000, `the switch's time: ${r.at}`);
    assert.equal((await b.stop()).code, 0);
    // A restart keeps the mode it had (dry run), though no flag says so.
    b = bot(dir);
    await live(b);
    let s = await ctl(dir, "status");
    assert.equal(s.mode, "dry_run");
    assert.match(s.banner ?? "", /DRY RUN/);
    assert.equal(await ctl(dir, "go-live").then((x) => x.mode), "live");
    assert.equal((await b.stop()).code, 0);
    // And live stays live across a restart; the dry-run entries are never reconciled as claims.
    b = bot(dir);
    await live(b);
    s = await ctl(dir, "status");
    assert.equal(s.mode, "live");
    assert.equal(s.banner ?? null, null, "no DRY RUN banner once live");
    for (const o of [o1, o2, o3]) {
      const dry = journal(dir).filter((op) => op.op === "put" && op.entry.id === o.id && op.entry.mode === "dry_run").map((op) => op.entry.state);
      assert.ok(dry.length > 0, `o${o.id}'s dry-run entry`);
      for (const st of dry) assert.ok(!["pending", "claimed", "fiat_sent", "completed"].includes(st), `dry-run entry of ${o.id} reconciled as a claim: ${st}`);
    }
    assert.deepEqual(await allClaims(), [], "still no claim request");
    assert.equal(s.open_claims, 0);
  } finally {
    await b.stop();
  }
});

test("cli: live, it claims by policy, skips the rest, and fiat-sent by ctl completes the order", async () => {
  const dir = journalDir();
  const b = bot(dir, ["--live"]);
  try {
    await live(b);
    const good = await sim.order({ currency: "KES", amount_fiat: 5000 });
    const big = await sim.order({ currency: "KES", amount_fiat: 25000 });
    const other = await sim.order({ currency: "GHS", amount_fiat: 100 });
    await b.line((l) => l.event === "notice" && l.kind === "claim_won" && l.id === good.id, 8000, "the won claim's notice");
    assert.equal((await sim.orderInfo(good.id)).lp_id, 12);
    assert.equal(await claimPosts(big.id), 0);
    assert.equal(await claimPosts(other.id), 0);
    assert.ok(b.lines.some((l) => l.event === "order_seen" && l.id === big.id && l.rule === "above_max"), "the skip is logged with its rule");
    const s = await ctl(dir, "fiat-sent", good.id);
    assert.equal(s.error, undefined);
    await until(async () => (await sim.orderInfo(good.id)).status === "completed", 5000, "completion");
    await until(() => entryOf(dir, good.id)?.state === "completed", 8000, "the journal to say completed");
    assert.equal((await ctl(dir, "status")).open_claims, 0, "its collateral is free");
    // The key is in no log line.
    for (const l of b.lines) assert.ok(!JSON.stringify(l).includes(KEY), JSON.stringify(l));
  } finally {
    assert.equal((await b.stop()).code, 0);
  }
});

test("cli: SIGKILL at each step of a claim, then a restart: exactly one claim at the server, the journal right", async () => {
  for (const step of ["after_persist:pending", "answer_held", "before_persist:claimed"]) {
    const dir = journalDir();
    const o = await sim.order({ currency: "NGN", amount_fiat: 1000 });
    let b;
    if (step === "answer_held") {
      // The server commits the claim and holds its answer: the bot dies waiting.
      await sim.faults({ rest_hold_ms: 3000, rest_hold_count: 1 });
      b = bot(dir, ["--live"]);
      await until(async () => (await claimPosts(o.id)) === 1, 8000, "the claim to reach the server");
      b.child.kill("SIGKILL");
    } else {
      b = bot(dir, ["--live"], { RAMPWIRE_BOT_CRASH_AT: step });
    }
    const died = await b.exited;
    assert.equal(died.signal, "SIGKILL", `${step}: ${b.stderr()}`);
    assert.equal(entryOf(dir, o.id)?.state, "pending", `${step}: the journal holds the pending claim`);
    await sim.faults({});
    const again = bot(dir, ["--live"]);
    try {
      await until(() => entryOf(dir, o.id)?.state === "claimed", 10_000, `${step}: the restarted bot to settle the claim`);
      const info = await sim.orderInfo(o.id);
      assert.equal(info.lp_id, 12, step);
      assert.equal(info.claims.length, 1, `${step}: exactly one claim at the server: ${JSON.stringify(info.claims)}`);
      assert.equal((await ctl(dir, "status")).open_claims, 1, step);
    } finally {
      await again.stop();
    }
  }
});

test("cli: lp_id answered as the string \"12\" is our claim", async () => {
  const dir = journalDir();
  await sim.faults({ string_ids: true });
  const b = bot(dir, ["--live"]);
  try {
    await live(b);
    const o = await sim.order({ currency: "KES", amount_fiat: 3000 });
    await until(() => entryOf(dir, o.id)?.state === "claimed", 8000, "the claim");
    // Re-checked by lookup (answered with "12" too): still ours.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(entryOf(dir, o.id).state, "claimed");
  } finally {
    await sim.faults({});
    await b.stop();
  }
});

test("cli: a claimed order that expires on the server frees its collateral slot", async () => {
  const dir = journalDir();
  const b = bot(dir, ["--live"]);
  try {
    await live(b);
    const o = await sim.order({ currency: "KES", amount_fiat: 4000 });
    await until(() => entryOf(dir, o.id)?.state === "claimed", 8000, "the claim");
    assert.equal((await ctl(dir, "status")).open_claims, 1);
    await sim.post(`/_sim/orders/${o.id}/status`, { status: "expired" });
    await until(() => entryOf(dir, o.id)?.state === "gone", 8000, "the periodic check to see it expired");
    assert.equal((await ctl(dir, "status")).open_claims, 0);
  } finally {
    await b.stop();
  }
});

test("cli: a refused key: one attempt, then it stops with exit code 3 and says why", async () => {
  const dir = journalDir();
  const before = (await sim.requests()).filter((l) => l.startsWith("GET /ws/orders")).length;
  const b = bot(dir, ["--live"], { LP_KEY: "lp_not_a_key" });
  const { code } = await b.exited;
  assert.equal(code, 3, b.stderr());
  assert.ok(b.lines.some((l) => l.event === "notice" && l.kind === "stopped"), "a stop notice");
  await new Promise((r) => setTimeout(r, 500));
  const attempts = (await sim.requests()).filter((l) => l.startsWith("GET /ws/orders")).length - before;
  assert.equal(attempts, 1, "one socket attempt, no retry");
  assert.ok(!b.stderr().includes("lp_not_a_key") && !JSON.stringify(b.lines).includes("lp_not_a_key"), "the key is never printed");
});

test("cli: a bad setting stops it before anything, exit code 2, naming the setting", async () => {
  const ok = ["--api-url", sim.base, "--currencies", "KES", "--max", "KES:20000", "--max-open", "3"];
  const without = (flag) => ok.filter((_, i) => ok[i] !== flag && ok[i - 1] !== flag);
  for (const [args, setting] of [
    [[...without("--max-open"), "--max-open", "1e3"], "MAX_OPEN_CLAIMS"],
    [[...without("--max"), "--max", "KES:0x10"], "MAX_AMOUNT"],
    [[...ok, "--set", "REQUEST_TIMEOUT_MS=1000000000000"], "REQUEST_TIMEOUT_MS"],
    [[...without("--api-url"), "--api-url", "ftp://example.com"], "API_URL"],
    [[...ok, "--set", "NO_SUCH_SETTING=1"], "NO_SUCH_SETTING"],
    [[...ok, "--set", "MAX_OPEN_CLAIMS=4"], "MAX_OPEN_CLAIMS"],
  ]) {
    const b = bot(journalDir(), args, {}, { bare: true });
    const { code } = await b.exited;
    assert.equal(code, 2, `${args}: ${b.stderr()}`);
    assert.match(b.stderr(), new RegExp(setting), `${args}: ${b.stderr()}`);
  }
  const noKey = bot(journalDir(), [], { LP_KEY: "" });
  assert.equal((await noKey.exited).code, 2);
  assert.match(noKey.stderr(), /LP_KEY/);
});

test("cli: one journal, one bot: a second bot on the same journal refuses to start", async () => {
  const dir = journalDir();
  const first = bot(dir);
  try {
    await live(first);
    const second = bot(dir);
    const { code } = await second.exited;
    assert.equal(code, 1);
    assert.match(second.stderr(), /in use by another bot/);
  } finally {
    await first.stop();
  }
});
