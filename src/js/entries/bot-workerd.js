// `rampwire-lp/bot` in Cloudflare Workers: the bot build (LpClient and BotEngine in one
// module), its .wasm imported compiled and instantiated at the module's top level.
import wasm from "./rampwire_lp_bot_bg.wasm";
import { initSync } from "./rampwire_lp_bot.js";

initSync({ module: wasm });

export * from "./rampwire_lp_bot.js";
// Recording and replay (the edge bot records; a Worker may replay).
export { replay, replayChunks } from "../drivers/replay.mjs";
export { RecordingWriter } from "../drivers/recorder.mjs";
