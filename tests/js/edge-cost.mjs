// Measures what the edge bot costs to run, in workerd through Miniflare against
// rampwire-sim (not a test: `node --experimental-websocket tests/js/edge-cost.mjs`).
// Prints, as JSON: watchdog alarms per second at WATCHDOG_MS=1000 (the rate scales as
// 1/WATCHDOG_MS), whether the object stayed connected (billed for wall-clock duration)
// the whole window, journal rows written by one claim's life (claim, fiat sent,
// completed), and alarms while paused (none: nothing runs).
import { startSim, until, KEY } from "./sim.mjs";
import { startEdge, cleanDirs, parsePrometheus } from "./edge-harness.mjs";

const WINDOW_MS = Number(process.env.WINDOW_MS ?? 20_000);
const sim = await startSim(["--complete-after-ms", "300"]);
const bot = await startEdge(sim, { bindings: { LP_KEY: KEY, LOG_LEVEL: "debug", WATCHDOG_MS: "1000", HEARTBEAT_MS: "30000", RECONCILE_INTERVAL_MS: "30000" } });
const alarms = () => bot.lines().filter((l) => l.event === "watchdog").length;
try {
  await until(async () => (await bot.status()).connected === true, 10000, "live");
  const a0 = alarms();
  const t0 = Date.now();
  let samples = 0;
  let connected = 0;
  while (Date.now() - t0 < WINDOW_MS) {
    await new Promise((r) => setTimeout(r, 500));
    samples++;
    if ((await bot.status()).connected) connected++;
  }
  const perSecond = (alarms() - a0) / ((Date.now() - t0) / 1000);
  const metric = async (name) => parsePrometheus((await bot.call("GET", "/metrics")).body).samples.get(`rampwire_bot_${name}{bot="primary"}`);
  const w0 = await metric("journal_writes_total");
  const o = await sim.order({ currency: "KES", amount_fiat: 1000 });
  await until(async () => (await bot.entry(o.id))?.state === "claimed", 5000, "claimed");
  await bot.call("POST", `/claims/${o.id}/fiat-sent`);
  await until(async () => (await bot.entry(o.id))?.state === "completed", 60000, "completed");
  const writesPerClaim = (await metric("journal_writes_total")) - w0;
  await bot.call("POST", "/pause");
  await new Promise((r) => setTimeout(r, 1500));
  const p0 = alarms();
  await new Promise((r) => setTimeout(r, 5000));
  const pausedAlarms = alarms() - p0;
  console.log(JSON.stringify({
    window_s: WINDOW_MS / 1000,
    alarms_per_s_at_watchdog_1000ms: Number(perSecond.toFixed(2)),
    alarms_per_day_at_default_30000ms: Math.round(perSecond * 86400 / 30),
    connected_fraction: connected / samples,
    journal_rows_written_per_claim: writesPerClaim,
    alarms_in_5s_paused: pausedAlarms,
  }));
} finally {
  await bot.mf.dispose();
  await sim.stop();
  cleanDirs();
}
