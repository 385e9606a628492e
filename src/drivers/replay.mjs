// `rampwire-lp replay`: a recording (src/drivers/recorder.mjs) run through one or more
// policies by the bot engine on simulated time (`BotReplay`, src/bot/replay.rs), as fast
// as the machine allows; the report says what each policy would have claimed. A replay
// never claims: it sends nothing anywhere.

/** Bytes read from a recording file at a time (it is never read whole). */
const CHUNK = 1 << 20;

/**
 * Replays `text` (a whole recording) through `policies` (`[{ name, settings }]`, settings
 * as KEY=VALUE text). Returns the report as text, or as JSON text with `json`. Throws an
 * LpError (`invalid_argument`, with `file`/`line`/`problem` for a bad line, or
 * `policy`/`setting` for a refused policy).
 */
export function replay(BotReplay, text, policies, { json = false, skipBad = false, rttMs, file } = {}) {
  const r = new BotReplay(JSON.stringify(policies), JSON.stringify(options({ skipBad, rttMs, file })));
  try {
    r.push(text);
    return r.finish(json);
  } finally {
    r.free();
  }
}

/** The same over a file, read in pieces (a large recording never sits in memory whole). */
export async function replayFile(BotReplay, file, policies, { json = false, skipBad = false, rttMs, name = file } = {}) {
  const { createReadStream } = await import("node:fs");
  const r = new BotReplay(JSON.stringify(policies), JSON.stringify(options({ skipBad, rttMs, file: name })));
  try {
    for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: CHUNK })) r.push(chunk);
    return r.finish(json);
  } finally {
    r.free();
  }
}

function options({ skipBad, rttMs, file }) {
  const o = { skipBad: Boolean(skipBad) };
  if (rttMs !== undefined) o.rttMs = rttMs;
  if (file !== undefined) o.file = String(file);
  return o;
}
