// The package's TypeScript declarations: real usage type-checks under --strict, wrong usage
// is rejected, and the public declarations contain no `any`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./sim.mjs";

const dir = path.join(ROOT, "target/types-check");
const tsc = path.join(ROOT, "node_modules/.bin/tsc");

function check(source) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "use.ts"), source);
  try {
    execFileSync(tsc, ["--strict", "--noEmit", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", "--lib", "es2022,dom,esnext.disposable", path.join(dir, "use.ts")], { encoding: "utf8" });
    return "";
  } catch (e) {
    return e.stdout || String(e);
  }
}

const imports = `import init, { initSync, LpClient, type Order, type LpError, type ClaimResult, type InitEvent, type StateEvent } from "${path.join(ROOT, "pkg/rampwire_lp.js")}";\n`;

test("types: the documented usage type-checks under --strict", () => {
  const errors = check(imports + `
await init();
const c = new LpClient({ apiUrl: "https://api.rampwire.app", lpKey: "lp_x", currencies: ["KES"], heartbeatMs: 30000, auth: "deferred" });
const off: () => void = c.on("order", (o: Order) => { const n: number = o.amount_fiat; const s: string = o.crypto_chain; void n; void s; });
c.on("state", (s: StateEvent) => { if (s.reason) { const k: string = s.reason.kind; void k; } const r: number | null = s.retryInMs; void r; });
c.on("order_removed", (e) => { const why: "taken" | "claimed" | "vanished" | "evicted" = e.reason; void why; });
c.on("error", (e: LpError) => { const m: string = e.message; void m; });
const init1: InitEvent = await c.connect();
const r: ClaimResult = await c.claim(init1.orders[0].id);
if (r.status === "claimed" && r.order) { const lp: number | null = r.order.lp_id; void lp; }
const o = await c.getOrder(1);
const payee = o.payee?.account;
void payee; void off;
const st: "idle" | "connecting" | "authenticating" | "live" | "reconnecting" | "closed" | "failed" = c.state;
void st;
await c.waitForStatus(1, "completed", { intervalMs: 500, timeoutMs: 1000 });
c.close();
`);
  assert.equal(errors, "");
});

test("types: wrong usage is rejected", () => {
  for (const bad of [
    `new LpClient({ apiUrl: "x" });`,
    `new LpClient({ apiUrl: "x", lpKey: "y", auth: "cookie" });`,
    `new LpClient({ apiUrl: "x", lpKey: "y" }).on("nope", () => {});`,
    `new LpClient({ apiUrl: "x", lpKey: "y" }).on("order", (o) => { const s: string = o.amount_fiat; void s; });`,
    `new LpClient({ apiUrl: "x", lpKey: "y" }).claim("12");`,
  ]) {
    assert.notEqual(check(imports + bad + "\nvoid init; void initSync;\n"), "", `should not compile: ${bad}`);
  }
});

test("types: no any in the declarations", () => {
  const dts = readFileSync(path.join(ROOT, "pkg/rampwire_lp.d.ts"), "utf8");
  const hits = dts.split("\n").filter((l) => /(:\s*any\b|=>\s*any\b|<any>|\bany\[\])/.test(l));
  assert.deepEqual(hits, []);
});
