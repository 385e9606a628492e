// The edge bot's Worker: the fleet's operator API in front of one LpBot Durable Object per
// bot name (each holds its socket), and the BotRegistry that lists them. The single-bot
// routes (`/status`, `/claims`, `/pause`, ...) are the default bot's ("primary", its key
// in LP_KEY, its policy in [vars]); `/bots/{name}/...` are any bot's. A cron trigger
// makes sure every bot runs even when nobody calls it (paused ones are left asleep).
import { LpBot, BOT_HEADER } from "./bot.mjs";
import { BotRegistry } from "./registry.mjs";
import { refusal } from "./auth.mjs";
import { DEFAULT_BOT, LOCATION_HINTS, MAX_CONFIG_BYTES, locationHintOf, validName } from "./config.mjs";

export { LpBot, BotRegistry };

const registry = (env) => env.LP_FLEET.get(env.LP_FLEET.idFromName("fleet"));

/** Bot `name`'s object, placed by `hint` when this call creates it. */
function botStub(env, name, hint) {
  return env.LP_BOT.get(env.LP_BOT.idFromName(name), { locationHint: LOCATION_HINTS.includes(hint) ? hint : locationHintOf(env) });
}

/** The request for the bot's object: the bot's own path, the bot named in a header. */
function forward(request, name, path, body) {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  headers.set(BOT_HEADER, name);
  return new Request(new URL(path + url.search, url.origin), { method: request.method, headers, body });
}

/** The default bot runs when its key is set (or it was configured with PUT). */
const defaultRuns = (env) => typeof env.LP_KEY === "string" && env.LP_KEY !== "";

async function listBots(env) {
  const records = await registry(env).list();
  const names = records.map((r) => r.name);
  if (defaultRuns(env) && !names.includes(DEFAULT_BOT)) records.unshift({ name: DEFAULT_BOT, location_hint: locationHintOf(env) });
  const bots = await Promise.all(records.map(async (r) => {
    try {
      return { ...(await botStub(env, r.name, r.location_hint).brief()), name: r.name, key_secret: r.key_secret ?? "LP_KEY", location_hint: r.location_hint };
    } catch (e) {
      return { name: r.name, state: "error", setupError: String(e?.message ?? e) };
    }
  }));
  return Response.json({ bots });
}

async function botRoute(request, env, name, rest) {
  const method = request.method;
  if (rest === "" && method === "PUT") {
    const text = await request.text();
    if (text.length > MAX_CONFIG_BYTES) return Response.json({ error: `the body is over ${MAX_CONFIG_BYTES} bytes` }, { status: 413 });
    let hint;
    try {
      hint = JSON.parse(text)?.location_hint;
    } catch {
      hint = undefined;
    }
    const fleet = registry(env);
    if (!(await fleet.hasRoom(name))) return Response.json({ error: "the fleet is full (100 bots)" }, { status: 409 });
    const r = await botStub(env, name, hint).fetch(forward(request, name, "/config", text));
    if (r.ok) {
      const s = await r.clone().json();
      await fleet.put({ name, key_secret: JSON.parse(text).key_secret ?? "LP_KEY", location_hint: s.location_hint });
    }
    return r;
  }
  const record = name === DEFAULT_BOT ? null : await registry(env).get(name);
  if (name !== DEFAULT_BOT && record === null) return Response.json({ error: `no bot named ${name} (PUT /bots/${name} makes it)` }, { status: 404 });
  const stub = botStub(env, name, record?.location_hint);
  if (rest === "" && method === "DELETE") {
    const r = await stub.fetch(forward(request, name, "/config", null));
    if (r.ok) await registry(env).remove(name);
    return r;
  }
  const r = await stub.fetch(forward(request, name, rest === "" ? "/status" : rest, ["GET", "HEAD"].includes(method) ? null : request.body));
  // A paused bot is left asleep by the cron (each wake-up would reload its journal).
  if (r.ok && method === "POST" && (rest === "/pause" || rest === "/resume")) await registry(env).setPaused(name, rest === "/pause");
  return r;
}

export default {
  async fetch(request, env) {
    const denied = await refusal(request, env);
    if (denied !== null) return denied;
    const { pathname } = new URL(request.url);
    if (pathname === "/bots" || pathname === "/bots/") {
      return request.method === "GET" ? listBots(env) : Response.json({ error: "not found" }, { status: 404 });
    }
    const m = /^\/bots\/([^/]+)(\/.*)?$/.exec(pathname);
    if (m !== null) {
      if (!validName(m[1])) return Response.json({ error: "a bot name is 1 to 32 lower-case letters, digits or dashes" }, { status: 400 });
      return botRoute(request, env, m[1], m[2] ?? "");
    }
    // The single-bot routes: the default bot's.
    return botRoute(request, env, DEFAULT_BOT, pathname);
  },
  async scheduled(_event, env, ctx) {
    const fleet = registry(env);
    const [records, paused] = await Promise.all([fleet.list(), fleet.pausedNames()]);
    const names = new Set(records.map((r) => r.name));
    const asleep = new Set(paused);
    const kicks = records.filter((r) => !asleep.has(r.name)).map((r) => botStub(env, r.name, r.location_hint).kick(r.name));
    if (defaultRuns(env) && !names.has(DEFAULT_BOT) && !asleep.has(DEFAULT_BOT)) kicks.push(botStub(env, DEFAULT_BOT).kick(DEFAULT_BOT));
    ctx.waitUntil(Promise.allSettled(kicks));
  },
};
