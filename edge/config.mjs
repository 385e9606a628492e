// A bot's configuration in the fleet: its name, which secret binding holds its key, where
// its Durable Object is placed, and its policy. The key itself is never in a config: a
// config names a secret binding (`LP_KEY_ALICE`), and the object reads `env[name]`.

/** The bot the single-bot routes (`/status`, `/claims`, ...) and the `LP_KEY` secret serve. */
export const DEFAULT_BOT = "primary";
/** The secret binding of the default bot's key. */
export const DEFAULT_KEY_SECRET = "LP_KEY";
/** Placement when neither `LOCATION_HINT` nor a bot's `location_hint` says: Africa, for KES/NGN/GHS. */
export const DEFAULT_LOCATION_HINT = "afr";
/** Durable Object location hints Cloudflare accepts. */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"];
/** Bots in one fleet (bounds `GET /bots` and the cron's wake-ups). */
export const MAX_BOTS = 100;
/** Largest `PUT /bots/{name}` body. */
export const MAX_CONFIG_BYTES = 16 * 1024;

/** Engine settings that are a bot's policy: each bot gives its own, none come from `[vars]`. */
export const POLICY_KEYS = ["ALLOWED_CURRENCIES", "MAX_AMOUNT", "MIN_AMOUNT", "CRYPTO", "MAX_OPEN_CLAIMS", "DAILY_USD_CAP", "DRY_RUN"];
/** Engine settings only `[vars]` give: where the key is sent is not for a request to choose. */
export const WORKER_ONLY_KEYS = ["API_URL", "WS_URL"];
/** The edge's own per-bot settings (not the engine's), with their defaults. */
export const EDGE_DEFAULTS = {
  LOG_LEVEL: "info",
  ALERT_DISCONNECTED_MS: "120000",
  ALERT_RETRY_MS: "1000",
  ALERT_MAX_ATTEMPTS: "6",
  // The recording's bound in KiB (recording.mjs); 0, the default, records nothing.
  RECORD_MAX_KB: "0",
};
/** Largest RECORD_MAX_KB: 64 MiB of a bot's storage. */
export const RECORD_MAX_KB_LIMIT = 65536;
const LOG_LEVELS = ["debug", "info", "warn", "error"];

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const KEY_SECRET = /^LP_KEY[A-Z0-9_]{0,40}$/;

/** Whether `name` is a valid bot name (lower-case letters, digits, dashes; at most 32). */
export function validName(name) {
  return typeof name === "string" && NAME.test(name);
}

/** A config error (HTTP 400), its message naming the field. */
export class ConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The config of the default bot: its key in `LP_KEY`, its policy in `[vars]`. */
export function defaultConfig(env) {
  return { name: DEFAULT_BOT, key_secret: DEFAULT_KEY_SECRET, location_hint: locationHintOf(env), settings: null };
}

/** The `LOCATION_HINT` var, or the documented default. */
export function locationHintOf(env) {
  const h = typeof env.LOCATION_HINT === "string" && env.LOCATION_HINT !== "" ? env.LOCATION_HINT : DEFAULT_LOCATION_HINT;
  return LOCATION_HINTS.includes(h) ? h : DEFAULT_LOCATION_HINT;
}

/**
 * The config a `PUT /bots/{name}` body gives: `{ key_secret, location_hint?, settings }`,
 * checked field by field (unknown fields refused, so a key pasted in the body is refused
 * and never stored). `engineKeys` are the engine's setting names.
 */
export function parseConfig(name, body, env, engineKeys) {
  if (!validName(name)) throw new ConfigError("a bot name is 1 to 32 lower-case letters, digits or dashes");
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ConfigError("the body must be a JSON object");
  for (const k of Object.keys(body)) {
    if (!["key_secret", "location_hint", "settings"].includes(k)) throw new ConfigError(`unknown field ${JSON.stringify(k.slice(0, 40))} (fields: key_secret, location_hint, settings; the key itself is never sent, only the name of its secret)`);
  }
  const keySecret = body.key_secret ?? (name === DEFAULT_BOT ? DEFAULT_KEY_SECRET : undefined);
  if (typeof keySecret !== "string" || !KEY_SECRET.test(keySecret)) {
    throw new ConfigError("key_secret: the name of the secret binding that holds the key, LP_KEY followed by capitals, digits or _ (e.g. LP_KEY_ALICE)");
  }
  if (typeof env[keySecret] !== "string" || env[keySecret] === "") {
    throw new ConfigError(`key_secret: the secret ${keySecret} is not set (wrangler secret put ${keySecret})`);
  }
  const hint = body.location_hint ?? locationHintOf(env);
  if (!LOCATION_HINTS.includes(hint)) throw new ConfigError(`location_hint: one of ${LOCATION_HINTS.join(", ")}`);
  const raw = body.settings ?? {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError("settings: an object of SETTING: value");
  const allowed = new Set([...engineKeys, ...Object.keys(EDGE_DEFAULTS)]);
  const settings = {};
  for (const [k, v] of Object.entries(raw)) {
    if (WORKER_ONLY_KEYS.includes(k)) throw new ConfigError(`settings: ${k} is set in wrangler.toml [vars] only (the key goes where it points)`);
    if (!allowed.has(k)) throw new ConfigError(`settings: unknown setting ${JSON.stringify(k.slice(0, 40))}`);
    if (typeof v !== "string" && typeof v !== "number") throw new ConfigError(`settings: ${k} must be a string or a number`);
    const s = String(v);
    if (/[\r\n]/.test(s) || s.length > 1000) throw new ConfigError(`settings: ${k} must be one line`);
    settings[k] = s;
  }
  if (settings.LOG_LEVEL !== undefined && !LOG_LEVELS.includes(settings.LOG_LEVEL)) throw new ConfigError(`settings: LOG_LEVEL is one of ${LOG_LEVELS.join(", ")}`);
  for (const k of ["ALERT_DISCONNECTED_MS", "ALERT_RETRY_MS", "ALERT_MAX_ATTEMPTS"]) {
    if (settings[k] !== undefined && !/^[1-9][0-9]{0,8}$/.test(settings[k])) throw new ConfigError(`settings: ${k} must be a whole number above 0`);
  }
  if (settings.RECORD_MAX_KB !== undefined && !(/^(0|[1-9][0-9]{0,4})$/.test(settings.RECORD_MAX_KB) && Number(settings.RECORD_MAX_KB) <= RECORD_MAX_KB_LIMIT)) {
    throw new ConfigError(`settings: RECORD_MAX_KB is a whole number of KiB from 0 (off) to ${RECORD_MAX_KB_LIMIT}`);
  }
  return { name, key_secret: keySecret, location_hint: hint, settings };
}

/**
 * The engine's settings text for `config`: the default bot's from `[vars]`; a named bot's
 * policy from its config only, the rest (API_URL, timings, bounds) from `[vars]` unless
 * its config says.
 */
export function settingsText(config, env, engineKeys) {
  const values = {};
  for (const k of engineKeys) {
    if (typeof env[k] !== "string" || env[k] === "") continue;
    if (config.settings !== null && POLICY_KEYS.includes(k)) continue;
    values[k] = env[k];
  }
  if (config.settings !== null) {
    for (const [k, v] of Object.entries(config.settings)) if (engineKeys.includes(k) && v !== "") values[k] = v;
  }
  return Object.entries(values).map(([k, v]) => `${k}=${String(v).replace(/[\r\n]/g, " ")}`).join("\n");
}

/** The edge's own settings for `config` (`LOG_LEVEL`, `ALERT_*`): config, then `[vars]`, then defaults. */
export function edgeSettings(config, env) {
  const out = {};
  for (const [k, d] of Object.entries(EDGE_DEFAULTS)) {
    const v = config.settings?.[k] ?? (typeof env[k] === "string" && env[k] !== "" ? env[k] : d);
    out[k] = k === "LOG_LEVEL" ? (LOG_LEVELS.includes(v) ? v : d) : Number(/^[1-9][0-9]{0,8}$/.test(v) ? v : d);
  }
  out.RECORD_MAX_KB = Math.min(out.RECORD_MAX_KB, RECORD_MAX_KB_LIMIT);
  return out;
}
