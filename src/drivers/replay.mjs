// `rampwire-lp replay`: a recording (src/drivers/recorder.mjs) run through one or more
// policies by the bot engine on simulated time (`BotReplay`, src/bot/replay.rs), as fast
// as the machine allows; the report says what each policy would have claimed. A replay
// never claims: it sends nothing anywhere. The package API: `rampwire-lp/bot` (Node and
// Workers) exports `replay` and `replayChunks` beside `BotReplay`.

/**
 * Replays `text` (a whole recording) through `policies` (`[{ name, settings }]`, settings
 * as KEY=VALUE text). Returns the report as text, or as JSON text with `json`. Throws an
 * LpError (`invalid_argument`, with `file`/`line`/`problem` for a bad line, or
 * `policy`/`setting` for a refused policy).
 */
export function replay(BotReplay, text, policies, { json = false, skipBad = false, rttMs, file } = {}) {
  const r = start(BotReplay, policies, { skipBad, rttMs, file });
  try {
    r.push(text);
    return r.finish(json);
  } finally {
    r.free();
  }
}

/**
 * The same over a recording given in pieces (`chunks`: an iterable or async iterable of
 * strings, e.g. a file's read stream), so a large recording never sits in memory whole.
 * Platform-free: the caller opens the file (the CLI: `fs.createReadStream`).
 */
export async function replayChunks(BotReplay, chunks, policies, { json = false, skipBad = false, rttMs, file } = {}) {
  const r = start(BotReplay, policies, { skipBad, rttMs, file });
  try {
    for await (const chunk of chunks) r.push(chunk);
    return r.finish(json);
  } finally {
    r.free();
  }
}

/** A new `BotReplay` of `policies` with the options the engine reads. */
function start(BotReplay, policies, { skipBad, rttMs, file }) {
  const o = { skipBad: Boolean(skipBad) };
  if (rttMs !== undefined) o.rttMs = rttMs;
  if (file !== undefined) o.file = String(file);
  return new BotReplay(JSON.stringify(policies), JSON.stringify(o));
}
