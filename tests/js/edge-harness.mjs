// The edge bot's test harness: the Worker (edge/worker.mjs, or a test Worker around it) in
// workerd through Miniflare against a rampwire-sim, its log lines captured, its Durable
// Objects persisted in a directory that survives a restart.
import path from "node:path";
import { mkdtempSync, rmSync, mkdirSync, symlinkSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { ROOT } from "./sim.mjs";
import { workerd as runWorkerd } from "./workerd.mjs";

/**
 * `rampwire-lp` resolved to this checkout's pkg/ (as an installed package: exports and
 * conditions), whatever node_modules links to: target/edge-resolve/node_modules/rampwire-lp.
 */
const resolveThisPkg = {
  name: "this-pkg",
  setup(b) {
    const dir = path.join(ROOT, "target/edge-resolve");
    const link = path.join(dir, "node_modules/rampwire-lp");
    b.onResolve({ filter: /^rampwire-lp(\/|$)/ }, (args) => {
      if (!existsSync(path.join(ROOT, "pkg/package.json"))) return undefined;
      if (!existsSync(link)) {
        mkdirSync(path.dirname(link), { recursive: true });
        symlinkSync(path.join(ROOT, "pkg"), link, "dir");
      }
      if (args.resolveDir === dir) return undefined;
      return b.resolve(args.path, { kind: args.kind, resolveDir: dir });
    });
  },
};

/** `scriptPath` in workerd (tests/js/workerd.mjs), `rampwire-lp` resolved to this pkg/. */
const workerd = (scriptPath, bindings, extra) => runWorkerd(scriptPath, bindings, extra, { plugins: [resolveThisPkg], dir: "target/workerd-edge" });

export const TOKEN = "op-token-for-tests";
export const POLICY = {
  ALLOWED_CURRENCIES: "KES,NGN",
  MAX_AMOUNT: "KES:20000,NGN:150000",
  MAX_OPEN_CLAIMS: "3",
  DAILY_USD_CAP: "100000",
  DRY_RUN: "0",
};
export const FAST = { WATCHDOG_MS: "1000", HEARTBEAT_MS: "1000", BACKOFF_MAX_MS: "1000", REQUEST_TIMEOUT_MS: "800", RECONCILE_INTERVAL_MS: "1000" };

const dirs = [];
/** Removes the persistence directories made so far. */
export function cleanDirs() {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * The edge Worker in its own workerd. `bindings` replace the defaults (key, token, fast
 * timings, the default policy, no colo trace); `dir` persists Durable Objects across restarts.
 */
export async function startEdge(sim, { bindings = {}, dir, script = path.join(ROOT, "edge/worker.mjs"), extra = {} } = {}) {
  dir ??= mkdtempSync(path.join(tmpdir(), "lpbot-"));
  dirs.push(dir);
  const logs = [];
  const env = { API_URL: sim.base, OPERATOR_TOKEN: TOKEN, COLO_TRACE_URL: "", ...FAST, ...POLICY, ...bindings };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const mf = await workerd(script, env, {
    durableObjects: { LP_BOT: "LpBot", LP_FLEET: "BotRegistry" },
    durableObjectsPersist: dir,
    handleRuntimeStdio: (out, err) => {
      for (const s of [out, err]) s.on("data", (d) => logs.push(...String(d).split("\n").filter(Boolean)));
    },
    ...extra,
  });
  const call = async (method, p, { auth = `Bearer ${TOKEN}`, body } = {}) => {
    const headers = auth === null ? {} : { authorization: auth };
    if (body !== undefined) headers["content-type"] = "application/json";
    const r = await mf.dispatchFetch(`http://bot.test${p}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    const text = await r.text();
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: r.status, body: parsed, headers: r.headers };
  };
  /** The JSON log lines so far (the runtime's other output skipped). */
  const lines = () => logs.filter((l) => l.startsWith("{")).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return {};
    }
  });
  const prefix = (bot) => (bot === undefined ? "" : `/bots/${bot}`);
  return {
    mf,
    dir,
    logs,
    lines,
    call,
    status: async (bot) => (await call("GET", `${prefix(bot)}/status`)).body,
    claims: async (bot) => (await call("GET", `${prefix(bot)}/claims?limit=1000`)).body.entries,
    entry: async (id, bot) => (await call("GET", `${prefix(bot)}/claims?limit=1000`)).body.entries.find((c) => c.id === id),
  };
}

/** Prometheus text format 0.0.4 parsed: `name{labels}` -> value, and the TYPE of each family. */
export function parsePrometheus(text) {
  const samples = new Map();
  const types = new Map();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus line: ${line}`);
    samples.set(m[1] + (m[2] ?? ""), Number(m[4]));
  }
  return { samples, types };
}
