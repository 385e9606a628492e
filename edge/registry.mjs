// The fleet's list of bots: one Durable Object (named "fleet") holding each bot's name,
// the secret binding of its key and its placement, so that `GET /bots` and the cron can
// reach every bot (Durable Objects cannot be enumerated).
import { DurableObject } from "cloudflare:workers";
import { MAX_BOTS } from "./config.mjs";

const BOT = "b:";
/** Bots paused by the operator: the cron leaves them asleep (a paused bot with open claims keeps its own alarm). */
const PAUSED = "p:";

export class BotRegistry extends DurableObject {
  /** The record of bot `name`, or null. */
  async get(name) {
    return (await this.ctx.storage.get(BOT + name)) ?? null;
  }

  /** Every record, by name. */
  async list() {
    return [...(await this.ctx.storage.list({ prefix: BOT, limit: MAX_BOTS })).values()];
  }

  /** Whether a bot `name` may be added (known already, or room for one more). */
  async hasRoom(name) {
    if ((await this.get(name)) !== null) return true;
    return (await this.ctx.storage.list({ prefix: BOT, limit: MAX_BOTS })).size < MAX_BOTS;
  }

  /** Adds or replaces `{ name, key_secret, location_hint }`. */
  async put(record) {
    await this.ctx.storage.put(BOT + record.name, { name: record.name, key_secret: record.key_secret, location_hint: record.location_hint, updated_at: Date.now() });
  }

  async remove(name) {
    await this.ctx.storage.delete([BOT + name, PAUSED + name]);
  }

  /** Notes that bot `name` was paused (or resumed). */
  async setPaused(name, paused) {
    if (paused) await this.ctx.storage.put(PAUSED + name, true);
    else await this.ctx.storage.delete(PAUSED + name);
  }

  /** The names of the paused bots. */
  async pausedNames() {
    return [...(await this.ctx.storage.list({ prefix: PAUSED, limit: MAX_BOTS + 1 })).keys()].map((k) => k.slice(PAUSED.length));
  }
}
