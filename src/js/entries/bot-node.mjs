// `rampwire-lp/bot` in Node: the bot build (LpClient and BotEngine in one module),
// instantiated on import, with REST over node:http(s) as the package's Node entry has it.
import { readFileSync } from "node:fs";
import { initSync } from "./rampwire_lp_bot.js";
import { installNodeTransport } from "../drivers/node-http.js";

installNodeTransport();
initSync({ module: readFileSync(new URL("./rampwire_lp_bot_bg.wasm", import.meta.url)) });

export * from "./rampwire_lp_bot.js";
// Recording and replay (`rampwire-lp replay` through the package API).
export { replay, replayChunks } from "../drivers/replay.mjs";
export { RecordingWriter } from "../drivers/recorder.mjs";
