// `rampwire-lp/shared`'s auto-claim, in the shared worker (or the Web-Locks leader's
// Worker): the one context that owns the socket and whose timers are not throttled with
// a hidden tab. It runs the bot engine (the bot build's `BotEngine`) through the bot
// driver, on the hub's own client: no second socket, and the bot's claims go through the
// hub's one-claim-per-order, so a tab's click and the bot never claim an order twice.
// Loaded (with the engine's wasm) only when a tab first turns auto-claim on.
import initBot, { BotEngine } from "./bot/rampwire_lp_bot.js";
import { BotDriver } from "./drivers/bot-driver.mjs";
import { idbJournal } from "./shared/journal-idb.js";

/** Longest settings text accepted (a policy is a few lines). */
const MAX_SETTINGS = 4096;
/** How long a start waits for the session's LP id (the journal is keyed by it). */
const LP_WAIT_MS = 30000;
/** Notices and log lines kept for the tabs' status (newest last). */
const MAX_NOTICES = 20;
const MAX_LOG = 50;
const COMMANDS = new Set(["pause", "resume", "go_live", "go_dry_run"]);

let engineReady = null;

const refuse = (message) => Object.assign(new Error(message), { kind: "invalid_argument" });

/**
 * One auto-claim request for session `s` (see the hub): `start`, `command`, `status`,
 * `stop`. `hub.claim(id)` claims through the hub; `hub.fanOut(event, payload)` tells the
 * session's tabs.
 */
export async function autoClaim(s, req, hub) {
  switch (req?.op) {
    case "start": {
      // One start at a time per session (after a hand-over every tab sends its start again).
      const run = () => start(s, req.settings, hub);
      s.botStarting = (s.botStarting ?? Promise.resolve()).then(run, run);
      await s.botStarting;
      return report(s);
    }
    case "command":
      if (!s.bot) throw refuse("auto-claim is not running");
      if (!COMMANDS.has(req.command)) throw refuse(`unknown auto-claim command ${String(req.command).slice(0, 20)}`);
      await s.bot.driver.command(req.command);
      return report(s);
    case "status":
      return report(s);
    case "stop":
      s.bot?.stop();
      return report(s);
    default:
      throw refuse("auto-claim request needs op: start, command, status or stop");
  }
}

async function start(s, settings, hub) {
  if (typeof settings !== "string" || settings.length > MAX_SETTINGS) throw refuse("auto-claim settings must be KEY=VALUE text");
  const options = JSON.parse(s.sig);
  // The page gives the policy; where to connect is the session's (the engine checks the URL).
  const text = `${settings.trim()}\nAPI_URL=${options.apiUrl}`;
  if (s.bot?.settings === text) return;
  engineReady ??= initBot({ module_or_path: new URL("./bot/rampwire_lp_bot_bg.wasm", import.meta.url) });
  await engineReady;
  const bad = BotEngine.checkSettings(text);
  if (bad !== undefined) throw refuse(`auto-claim settings refused: ${JSON.parse(bad).message ?? bad}`);
  const lp = await lpIdOf(s);
  s.bot?.stop();
  const notices = [];
  const recent = [];
  const driver = new BotDriver({
    LpClient: sessionClient(s, hub),
    BotEngine,
    settings: text,
    lpKey: "", // the session's client already holds the key; the driver's own stays empty
    store: idbJournal(new URL(options.apiUrl).origin, lp),
    // The engine's decisions (claimed, skipped and why): what the panel shows as recent.
    log: (l) => {
      recent.push(l);
      if (recent.length > MAX_LOG) recent.shift();
    },
    notify: (n) => {
      notices.push(n);
      if (notices.length > MAX_NOTICES) notices.shift();
      hub.fanOut("autoclaim", { notice: n });
    },
  });
  const bot = {
    settings: text,
    driver,
    notices,
    recent,
    stop() {
      driver.stop();
      if (s.bot === bot) s.bot = null;
    },
  };
  s.bot = bot;
  await driver.start();
}

/** The session's LP id: known once its socket was live (waits for the first `init`). */
function lpIdOf(s) {
  if (s.client.lpId !== undefined) return Promise.resolve(s.client.lpId);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { off(); reject(refuse("connect first: auto-claim starts once the LP id is known")); }, LP_WAIT_MS);
    const off = s.client.on("init", (i) => { clearTimeout(t); off(); resolve(i.lpId); });
  });
}

function report(s) {
  if (!s.bot) return { running: false };
  return { running: true, status: s.bot.driver.status(), summary: s.bot.driver.summary(), notices: [...s.bot.notices], recent: [...s.bot.recent] };
}

/**
 * What the driver takes for an LpClient class: a view of the session's client. Closing
 * it (the engine disconnects while paused) only mutes its events: the socket is the
 * tabs'; connecting again un-mutes them and hands the bot the `init` it missed, as the
 * hub does for a tab that joins. Claims go through the hub. `free()` unsubscribes.
 */
function sessionClient(s, hub) {
  return class SessionClient {
    #offs = [];
    #inits = new Set();
    #joined = false;

    on(event, fn) {
      const off = s.client.on(event, (p) => this.#joined && fn(p));
      if (event === "init") this.#inits.add(fn);
      const both = () => { off(); this.#inits.delete(fn); };
      this.#offs.push(both);
      return both;
    }

    /** `idle` until the bot joined: the driver connects only what is not connected. */
    get state() {
      return this.#joined ? s.client.state : "idle";
    }

    get lpId() {
      return s.client.lpId;
    }

    connect() {
      this.#joined = true;
      if (s.client.state === "live" && s.lastInit) {
        const init = { ...s.lastInit, orders: s.client.openOrders(), resync: null };
        queueMicrotask(() => { for (const fn of this.#inits) fn(init); });
        return Promise.resolve(init);
      }
      s.connecting ??= s.client.connect().finally(() => (s.connecting = null));
      return s.connecting;
    }

    claim(id) {
      return hub.claim(id);
    }

    getOrder(id) {
      return s.client.getOrder(id);
    }

    fiatSent(id) {
      return s.client.fiatSent(id);
    }

    close() {
      this.#joined = false;
    }

    free() {
      this.#joined = false;
      for (const off of this.#offs.splice(0)) off();
    }
  };
}
