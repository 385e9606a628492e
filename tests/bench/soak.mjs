// Soak in headless Chromium: FRAMES frames and DROPS forced reconnects (simulator drop,
// alternating close and abort). Measures JS heap, wasm memory and live WebSocket objects
// after warm-up and at the end (after a forced GC), and the simulator's peak count of
// sockets for the LP (must stay 1: a reconnect never overlaps its predecessor).
import { withHarnessPage } from "../js/static.mjs";

export async function soak({ ROOT, sim, frames, drops, warmup = 20 }) {
  return withHarnessPage(ROOT, async (page) => {
    const cdp = await page.context().newCDPSession(page);
    await page.evaluate(async (base) => {
      const { default: init, LpClient } = await import("/pkg/rampwire_lp.js");
      const wasm = await init();
      window.wasmBytes = () => wasm.memory.buffer.byteLength;
      const s = (window.soak = { orders: 0, lives: 0, state: "", last: 0 });
      const c = new LpClient({ apiUrl: base, lpKey: "lp_a1b2c3d4", backoffInitialMs: 5, backoffMaxMs: 50, stableAfterMs: 0 });
      c.on("order", (o) => { s.orders++; s.last = o.id; });
      c.on("state", (st) => { s.state = st.state; if (st.state === "live") s.lives++; });
      await c.connect();
      window.client = c;
    }, sim.base);

    const measure = async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      await cdp.send("HeapProfiler.collectGarbage");
      const heap = (await cdp.send("Runtime.getHeapUsage")).usedSize;
      const proto = await cdp.send("Runtime.evaluate", { expression: "WebSocket.prototype" });
      const found = await cdp.send("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId });
      const n = await cdp.send("Runtime.callFunctionOn", { objectId: found.objects.objectId, functionDeclaration: "function () { return this.length; }", returnByValue: true });
      return { heap, wasm: await page.evaluate(() => window.wasmBytes()), sockets: n.result.value, state: await page.evaluate(() => window.soak.state) };
    };
    const perDrop = Math.floor(frames / drops);
    let before = null;
    const t0 = Date.now();
    for (let i = 0; i < drops; i++) {
      await sim.post("/_sim/flood", { count: perDrop });
      const marker = await sim.order({ currency: "KES" });
      await page.waitForFunction((id) => window.soak.last === id, marker.id, { timeout: 30000 });
      const lives = await page.evaluate(() => window.soak.lives);
      await sim.post("/_sim/drop", { mode: i % 2 ? "abort" : "close" });
      await page.waitForFunction((n) => window.soak.lives > n && window.soak.state === "live", lives, { timeout: 30000 });
      if (i + 1 === warmup) before = await measure();
    }
    const after = await measure();
    const conns = await sim.get("/_sim/connections");
    return {
      seconds: (Date.now() - t0) / 1000,
      frames: perDrop * drops,
      drops,
      orders: await page.evaluate(() => window.soak.orders),
      before,
      after,
      peakSockets: conns.peak_by_lp["12"],
      perReconnectHeapBytes: Math.round((after.heap - before.heap) / (drops - warmup)),
    };
  });
}
