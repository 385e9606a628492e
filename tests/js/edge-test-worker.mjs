// The edge Worker for tests: the same routes and classes, the bot's Durable Object with two
// test-only RPC methods: the alarm set, (never in edge/): the Analytics Engine data points it wrote (a stub
// dataset binding that records them), and seeding its storage with journal entries.
import worker, { LpBot, BotRegistry } from "../../edge/worker.mjs";

export { BotRegistry };

/** Data points written by the objects of this isolate, newest last (bounded). */
const points = [];

export class TestBot extends LpBot {
  constructor(ctx, env) {
    const analytics = { writeDataPoint: (p) => points.push(structuredClone(p)) > 10_000 && points.shift() };
    super(ctx, { ...env, BOT_ANALYTICS: analytics });
  }

  /** The data points written so far. */
  async testPoints() {
    return points;
  }

  /** Writes `entries` (journal entries) under their storage keys, as the bot's store does. */
  async testSeed(entries) {
    for (let i = 0; i < entries.length; i += 128) {
      const batch = {};
      for (const e of entries.slice(i, i + 128)) batch[`e:${String(e.id).padStart(16, "0")}`] = e;
      await this.ctx.storage.put(batch);
    }
    return entries.length;
  }

  /** The alarm's time, or null when none is set. */
  async testAlarm() {
    return this.ctx.storage.getAlarm();
  }

  /** The ids of the entries in storage. */
  async testStoredIds() {
    return [...(await this.ctx.storage.list({ prefix: "e:" })).values()].map((e) => e.id);
  }
}

export default worker;
