// `rampwire-lp`: the Node CLI of the package. `rampwire-lp bot` runs the bot engine
// (src/bot/) against the Rampwire API with a crash-safe journal file (and `--record FILE`
// records the order stream it sees); `rampwire-lp ctl` talks to a running bot;
// `rampwire-lp replay` runs policies over a recording; `rampwire-lp config` prints a new
// settings file (dry run).
//
// Settings come from the environment (the engine's KEY names), a KEY=VALUE file
// (`--config FILE`) and flags, later ones overriding earlier ones; the engine parses the
// result strictly and names any bad setting. The LP key comes only from the environment
// (`LP_KEY`) or a file (`--key-file`): never a flag (flags show in `ps`).
//
// Exit codes: 0 stopped by a signal or `ctl stop`; 2 a bad setting or argument; 3 the LP
// key was refused; 1 anything else (a damaged or locked journal, an internal error).
import { createReadStream, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { BotDriver } from "./bot-driver.mjs";
import { FileJournal } from "./file-journal.mjs";
import { RecordingWriter, DEFAULT_MAX_BYTES } from "./recorder.mjs";
import { fileSink } from "./recording-file.mjs";
import { replayChunks } from "./replay.mjs";

/** Flags that set one engine setting. */
const FLAGS = {
  "--api-url": "API_URL",
  "--ws-url": "WS_URL",
  "--currencies": "ALLOWED_CURRENCIES",
  "--max": "MAX_AMOUNT",
  "--min": "MIN_AMOUNT",
  "--crypto": "CRYPTO",
  "--max-open": "MAX_OPEN_CLAIMS",
  "--daily-usd-cap": "DAILY_USD_CAP",
  "--request-timeout-ms": "REQUEST_TIMEOUT_MS",
  "--heartbeat-ms": "HEARTBEAT_MS",
  "--reconcile-interval-ms": "RECONCILE_INTERVAL_MS",
};

const USAGE = `usage:
  rampwire-lp bot [--config FILE] [--journal DIR] [--key-file FILE] [--live | --dry-run]
                  [--currencies KES,NGN] [--max KES:20000,NGN:150000] [--min KES:500]
                  [--crypto usdt/trx,xrp] [--max-open 3] [--daily-usd-cap 500]
                  [--api-url URL] [--set KEY=VALUE]... [--record FILE [--record-max-mb 64]]
  rampwire-lp replay --policy FILE [--policy FILE]... RECORDING [--json] [--skip-bad]
                  [--rtt-ms MS]
  rampwire-lp ctl [--journal DIR] status | summary | pause | resume | go-live | go-dry-run
                  | fiat-sent ID | release ID | stop
  rampwire-lp config            print a new settings file (dry run: nothing is claimed)

The LP key is read from LP_KEY (or --key-file). Settings are also read from the
environment under their own names (ALLOWED_CURRENCIES, MAX_AMOUNT, MAX_OPEN_CLAIMS, ...).
A new bot runs in DRY RUN (it claims nothing) until started with --live or told
\`rampwire-lp ctl go-live\`; the journal keeps the mode across restarts.
--record FILE writes the order stream the bot sees (never the key) as JSON lines,
rotated to FILE.1..FILE.3 at --record-max-mb; \`replay\` runs policies over it (a dry
run on simulated time: nothing is sent) and reports what each would have claimed.`;

/** A bad argument: exit 2 with the message. */
class UsageError extends Error {}

/**
 * Runs the CLI. `mod` is the bot build of the package (`LpClient`, `BotEngine`).
 * Resolves with the exit code.
 */
export async function main(argv, { mod, env = process.env, out = (l) => process.stdout.write(l + "\n"), err = (l) => process.stderr.write(l + "\n") }) {
  const [command, ...rest] = argv;
  try {
    if (command === "bot") return await bot(rest, mod, env, out, err);
    if (command === "ctl") return await ctl(rest, out, err);
    if (command === "replay") return await replayCommand(rest, mod, out, err);
    if (command === "config") {
      out(configTemplate());
      return 0;
    }
    err(command === undefined || command === "help" || command === "--help" ? USAGE : `unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return command === undefined || command === "help" || command === "--help" ? 0 : 2;
  } catch (e) {
    err(`rampwire-lp: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** Reads flags into { settings: Map, journal, keyFile, config }. */
function parseArgs(args) {
  const o = { settings: new Map(), journal: "rampwire-bot", keyFile: null, config: null, record: null, recordMaxMb: null };
  const given = new Set();
  const once = (flag) => {
    if (given.has(flag)) throw new UsageError(`${flag} given twice`);
    given.add(flag);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const set = (key, v) => {
      if (o.settings.has(key)) throw new UsageError(`${key} is given by two flags`);
      o.settings.set(key, v);
    };
    if (a in FLAGS) {
      once(a);
      set(FLAGS[a], value());
    } else if (a === "--live" || a === "--dry-run") {
      once("--live/--dry-run");
      set("DRY_RUN", a === "--live" ? "0" : "1");
    } else if (a === "--set") {
      const kv = value();
      const eq = kv.indexOf("=");
      if (eq <= 0) throw new UsageError(`--set takes KEY=VALUE (got ${JSON.stringify(kv)})`);
      set(kv.slice(0, eq), kv.slice(eq + 1));
    } else if (a === "--journal") {
      once(a);
      o.journal = value();
    } else if (a === "--key-file") {
      once(a);
      o.keyFile = value();
    } else if (a === "--config") {
      once(a);
      o.config = value();
    } else if (a === "--record") {
      once(a);
      o.record = value();
    } else if (a === "--record-max-mb") {
      once(a);
      const mb = Number(value());
      if (!(Number.isFinite(mb) && mb >= 0.01 && mb <= 100_000)) throw new UsageError("--record-max-mb takes a number of megabytes (0.01 to 100000)");
      o.recordMaxMb = mb;
    } else if (a === "--key" || a.startsWith("--key=") || a === "--lp-key") {
      throw new UsageError("the LP key is never a flag (it would show in ps): set LP_KEY or use --key-file FILE");
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    }
  }
  return o;
}

/**
 * The settings text: the environment, then the config file, then flags, a later source
 * overriding an earlier one key by key; `DRY_RUN=1` unless one of them sets it. Within
 * one source a key may stand once: the engine's parser refuses duplicates (with the line
 * of the file), so overridden lines are left out rather than repeated.
 */
function settingsText(o, env, keys) {
  const fileText = o.config === null ? "" : readFileSync(o.config, "utf8");
  const key = (line) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
  const fileKeys = new Set(fileText.split("\n").map(key).filter(Boolean));
  const fromEnv = keys.filter((k) => env[k] !== undefined && env[k] !== "" && !fileKeys.has(k) && !o.settings.has(k)).map((k) => `${k}=${env[k]}`);
  const fromFile = fileText.split("\n").filter((line) => !o.settings.has(key(line)));
  const fromFlags = [...o.settings].map(([k, v]) => `${k}=${v}`);
  // The file first: its line numbers stay those of the engine's messages.
  const all = [...fromFile, ...fromEnv, ...fromFlags];
  if (!all.some((line) => key(line) === "DRY_RUN")) all.push("DRY_RUN=1");
  return all.join("\n");
}

async function bot(args, mod, env, out, err) {
  const o = parseArgs(args);
  const keys = mod.BotEngine.settingKeys();
  const settings = settingsText(o, env, keys);
  const bad = mod.BotEngine.checkSettings(settings);
  if (bad !== undefined) {
    const e = JSON.parse(bad);
    err(`rampwire-lp: bad setting${e.setting ? ` ${e.setting}` : ""}: ${e.message ?? bad}`);
    return 2;
  }
  const lpKey = (o.keyFile !== null ? readFileSync(o.keyFile, "utf8") : env.LP_KEY ?? "").trim();
  if (lpKey === "") {
    err("rampwire-lp: no LP key: set LP_KEY, or pass --key-file FILE");
    return 2;
  }
  if (o.recordMaxMb !== null && o.record === null) throw new UsageError("--record-max-mb needs --record FILE");
  const store = new FileJournal(o.journal);
  let sink = null;
  let record = null;
  if (o.record !== null) {
    sink = fileSink(o.record);
    const maxBytes = o.recordMaxMb === null ? DEFAULT_MAX_BYTES : Math.round(o.recordMaxMb * 1024 * 1024);
    // The key is given only to be kept out: a line holding it is dropped.
    record = new RecordingWriter({ sink, source: "cli", maxBytes, secrets: [lpKey] });
  }
  let resolveExit;
  const exited = new Promise((r) => (resolveExit = r));
  const log = (line) => out(JSON.stringify({ t: new Date().toISOString(), ...line }));
  // Fault injection for the crash tests (tests/js/cli-bot.test.mjs): die like a power cut.
  const crashAt = env.RAMPWIRE_BOT_CRASH_AT;
  const fault = crashAt ? { at: crashAt, crash: () => process.kill(process.pid, "SIGKILL") } : null;
  const driver = new BotDriver({
    fault,
    LpClient: mod.LpClient,
    BotEngine: mod.BotEngine,
    settings,
    lpKey,
    store,
    log,
    record,
    notify: (notice) => {
      log({ level: notice.kind === "stopped" ? "error" : "info", event: "notice", ...notice });
      if (notice.kind === "stopped") {
        const s = driver.status();
        // A refused key or setting: stop with a clear code (the journal keeps everything).
        resolveExit(s.stopped?.kind === "settings" ? 2 : 3);
      }
    },
  });
  let server = null;
  const stop = async (code) => {
    log({ level: "info", event: "stopping", reason: code === 0 ? "signal" : "stopped" });
    await driver.drain(Number(JSON.parse(driver.engine.clientOptions()).requestTimeoutMs ?? 10_000) * 2);
    server?.close();
    store.close();
    sink?.close();
    if (record) log({ level: "info", event: "recording_closed", file: o.record, ...record.stats });
    return code;
  };
  process.once("SIGTERM", () => resolveExit(0));
  process.once("SIGINT", () => resolveExit(0));
  try {
    await driver.start();
  } catch (e) {
    store.close();
    sink?.close();
    throw e;
  }
  if (driver.driverError) {
    store.close();
    sink?.close();
    err(`rampwire-lp: ${driver.driverError}`);
    return 1;
  }
  server = await control(o.journal, driver, () => resolveExit(0));
  const summary = setInterval(() => {
    const s = driver.status();
    log({ level: "info", event: "summary", state: s.state, banner: s.banner ?? undefined, open_claims: s.open_claims, daily_usd: s.daily_usd, journal_entries: s.journal_entries, non_final: s.non_final });
  }, 60_000);
  summary.unref?.();
  const code = await exited;
  clearInterval(summary);
  return stop(code);
}

/**
 * `replay --policy A [--policy B] RECORDING [--json] [--skip-bad] [--rtt-ms N]`: prints
 * the report. Exit 2 for a bad argument or policy (naming the file and the setting), 1 for
 * a bad recording line (naming the file and the line).
 */
async function replayCommand(args, mod, out, err) {
  const policies = [];
  let recording = null;
  let json = false;
  let skipBad = false;
  let rttMs;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--policy") policies.push(value());
    else if (a === "--json") json = true;
    else if (a === "--skip-bad") skipBad = true;
    else if (a === "--rtt-ms") {
      const v = value();
      if (!/^\d{1,7}$/.test(v)) throw new UsageError("--rtt-ms takes whole milliseconds");
      rttMs = Number(v);
    } else if (a.startsWith("--")) throw new UsageError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    else if (recording === null) recording = a;
    else throw new UsageError(`one recording at a time (got ${JSON.stringify(recording)} and ${JSON.stringify(a)})`);
  }
  if (policies.length === 0 || recording === null) throw new UsageError(`replay needs --policy FILE and a RECORDING\n${USAGE}`);
  const named = policies.map((file) => ({ name: path.basename(file), settings: readFileSync(file, "utf8") }));
  // Two files of one base name: the full paths tell them apart.
  if (new Set(named.map((p) => p.name)).size < named.length) named.forEach((p, i) => (p.name = policies[i]));
  try {
    // Read in 1 MiB pieces: a large recording never sits in memory whole.
    const chunks = createReadStream(recording, { encoding: "utf8", highWaterMark: 1 << 20 });
    const report = await replayChunks(mod.BotReplay, chunks, named, { json, skipBad, rttMs, file: path.basename(recording) });
    out(report.trimEnd());
    return 0;
  } catch (e) {
    if (e?.replayError === undefined) throw e;
    err(`rampwire-lp: ${e.message}`);
    return e.replayError === "recording" ? 1 : 2;
  }
}

/** The running bot's control socket: one JSON line in, one JSON line out (local only). */
async function control(dir, driver, stop) {
  const sock = socketPath(dir);
  // We hold the journal's lock: a socket file left there is a dead bot's.
  rmSync(sock, { force: true });
  const server = net.createServer((c) => {
    let buf = "";
    c.setEncoding("utf8");
    c.on("data", async (d) => {
      buf += d;
      if (buf.length > 4096) return c.destroy();
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const [cmd, arg] = JSON.parse(buf.slice(0, nl) || "[]");
      let answer;
      try {
        answer = await controlCommand(driver, cmd, arg, stop);
      } catch (e) {
        answer = { error: e.message };
      }
      c.end(JSON.stringify(answer) + "\n");
    });
    c.on("error", () => {});
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(sock, resolve);
  });
  return server;
}

async function controlCommand(driver, cmd, arg, stop) {
  const id = arg === undefined ? undefined : Number(arg);
  if (id !== undefined && !(Number.isSafeInteger(id) && id >= 0)) return { error: "the order id must be a whole number" };
  switch (cmd) {
    case "status":
      return driver.status();
    case "summary":
      return driver.summary();
    case "stop":
      stop();
      return { ok: true };
    case "pause":
    case "resume":
    case "go-live":
    case "go-dry-run":
      await driver.command(cmd.replaceAll("-", "_"));
      return driver.status();
    case "fiat-sent":
    case "release":
      if (id === undefined) return { error: `${cmd} needs an order id` };
      await driver.command(cmd.replaceAll("-", "_"), id);
      return driver.status();
    default:
      return { error: `unknown command ${JSON.stringify(cmd)}` };
  }
}

function socketPath(dir) {
  return path.join(path.resolve(dir), "control.sock");
}

async function ctl(args, out, err) {
  let dir = "rampwire-bot";
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--journal") dir = args[++i];
    else rest.push(args[i]);
  }
  const [cmd, arg] = rest;
  if (cmd === undefined) throw new UsageError(USAGE);
  const answer = await new Promise((resolve, reject) => {
    const c = net.connect(socketPath(dir));
    let buf = "";
    c.setEncoding("utf8");
    c.on("connect", () => c.write(JSON.stringify([cmd, arg]) + "\n"));
    c.on("data", (d) => (buf += d));
    c.on("end", () => resolve(buf));
    c.on("error", (e) => reject(new Error(`no bot is running with journal ${dir} (${e.code ?? e.message})`)));
  });
  const parsed = JSON.parse(answer);
  out(JSON.stringify(parsed, null, 2));
  return parsed.error ? 2 : 0;
}

function configTemplate() {
  return `# rampwire-lp bot settings (KEY=VALUE; the LP key is never here: set LP_KEY).
# A new config runs in DRY RUN: the bot watches and journals what it would claim, and
# claims nothing. Go live with \`rampwire-lp ctl go-live\` (journaled) or DRY_RUN=0.
DRY_RUN=1
API_URL=https://api.rampwire.app
# Claim only these currencies...
ALLOWED_CURRENCIES=KES
# ...up to this amount_fiat per order (every allowed currency needs one).
MAX_AMOUNT=KES:20000
# Collateral: claims open at once (pending, claimed or fiat sent, not yet completed).
MAX_OPEN_CLAIMS=3
# Optional: USD claimed per UTC day.
DAILY_USD_CAP=500`;
}
