// The edge bot's log: one JSON line per event, on the console method of its level (Workers
// Logs and `wrangler tail` index both), each naming its bot. Lines below the bot's
// LOG_LEVEL are dropped. The engine never sees the key; the secrets are still scrubbed
// from every line, whole and without their prefix, in case a message ever quoted one.

const RANK = { debug: 0, info: 1, warn: 2, error: 3 };
const METHOD = { debug: "debug", info: "info", warn: "warn", error: "error" };

/**
 * A logger for bot `bot`: `log({ level, event, ...fields })`.
 * @param {{ bot: string, level?: string, secrets?: string[], write?: (level: string, text: string) => void, now?: () => number }} o
 */
export function makeLogger({ bot, level = "info", secrets = [], write = (l, text) => console[METHOD[l]](text), now = Date.now }) {
  const min = RANK[level] ?? RANK.info;
  // Each secret, and its part after a `lp_`-style prefix, longest first.
  const scrub = [...new Set(secrets.filter((s) => typeof s === "string" && s.length >= 4).flatMap((s) => {
    const tail = s.replace(/^[a-z]{1,8}_/i, "");
    return tail.length >= 4 && tail !== s ? [s, tail] : [s];
  }))].sort((a, b) => b.length - a.length);
  return (line) => {
    const lvl = line.level in RANK ? line.level : "info";
    if (RANK[lvl] < min) return;
    let text = JSON.stringify({ t: new Date(now()).toISOString(), level: lvl, bot, ...line, ...{ level: lvl } });
    for (const s of scrub) if (text.includes(s)) text = text.split(s).join("[redacted]");
    write(lvl, text);
  };
}
