// The edge bot's Worker: every request goes to the one LpBot Durable Object, which holds
// the socket; a cron trigger makes sure it runs even when nobody calls it.
import { LpBot } from "./bot.mjs";

export { LpBot };

function bot(env) {
  return env.LP_BOT.get(env.LP_BOT.idFromName("primary"));
}

export default {
  async fetch(request, env) {
    return bot(env).fetch(request);
  },
  async scheduled(_event, env, ctx) {
    ctx.waitUntil(bot(env).kick());
  },
};
