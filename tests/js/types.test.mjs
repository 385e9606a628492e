// The package's TypeScript declarations, resolved as a user's project resolves them (by
// name, through package.json's exports): real usage type-checks under --strict with Node's
// libraries only (no DOM), with DOM, with or without esnext.disposable, under the
// `bundler` and `node16` resolutions; wrong usage is rejected; the README's browser snippet
// checks as JavaScript; the declarations contain no `any`. (The consumer matrix,
// consumers.test.mjs, checks the same with @types/node and a packed, installed tarball.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./sim.mjs";

const dir = path.join(ROOT, "target/types-check");
const tsc = path.join(ROOT, "node_modules/.bin/tsc");
rmSync(dir, { recursive: true, force: true });
mkdirSync(path.join(dir, "node_modules"), { recursive: true });
symlinkSync(path.join(ROOT, "pkg"), path.join(dir, "node_modules/rampwire-lp"));
writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');

const LIBS = ["es2022", "es2022,dom", "es2022,dom,esnext.disposable"];
const RESOLUTIONS = [["bundler", "es2022"], ["node16", "node16"]];

function check(source, { lib = "es2022", resolution = "bundler", module = "es2022", file = "use.ts", js = false } = {}) {
  writeFileSync(path.join(dir, file), source);
  // `types: []`: no @types package is visible, as in a project that installed none.
  // (JavaScript without JSDoc: parameters are implicitly `any`; null checks stay strict.)
  const compilerOptions = { strict: true, noImplicitAny: !js, noEmit: true, target: "es2022", module, moduleResolution: resolution, lib: lib.split(","), types: [], allowJs: js, checkJs: js };
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: [file] }));
  try {
    execFileSync(tsc, ["-p", dir], { encoding: "utf8" });
    return "";
  } catch (e) {
    return e.stdout || String(e);
  }
}

const USAGE = `import init, { initSync, LpClient, LpError, type Order, type ClaimResult, type WsClaimResult, type InitEvent, type StateEvent, type OrderStatus, type LpErrorKind } from "rampwire-lp";
await init();
const c = new LpClient({ apiUrl: "https://api.rampwire.app", lpKey: "lp_x", currencies: ["KES"], heartbeatMs: 30000, auth: "deferred", maxBodyBytes: 1 << 20 });
const off: () => void = c.on("order", (o: Order) => { const n: number | null = o.amount_fiat; const s: string = o.crypto_chain; const st: string = o.status; void n; void s; void st; });
c.on("state", (s: StateEvent) => { if (s.reason) { const k: LpErrorKind = s.reason.kind; void k; } const r: number | null = s.retryInMs; void r; });
c.on("order_removed", (e) => { const why: "taken" | "claimed" | "vanished" | "evicted" = e.reason; void why; });
c.on("error", (e: LpError) => { const m: string = e.message; const k: "unknown" | LpErrorKind = e.kind; void m; void k; });
const init1: InitEvent = await c.connect();
const r: ClaimResult = await c.claim(init1.orders[0].id);
if (r.status === "claimed") { const lp: number | null = r.order.lp_id; void lp; } else { const id: number = r.orderId; void id; }
const w: WsClaimResult = await c.claimWs(1);
void w;
const o = await c.getOrder(1);
const account: string | undefined = o.payee?.account;
void account; void off;
const st: "idle" | "connecting" | "authenticating" | "live" | "reconnecting" | "closed" | "failed" = c.state;
void st;
const done = await c.waitForStatus(1, "completed");
await c.waitForStatus(1, "fiat_sent", { intervalMs: 500, timeoutMs: 1000 });
const status: OrderStatus | (string & {}) = done.status;
void status;
try { c.fiatSentWs(1); } catch (e) { if (e instanceof LpError) { const k: LpErrorKind = e.kind; void k; } }
c[Symbol.dispose]();
c.close();
void initSync;
`;

for (const lib of LIBS) {
  for (const [resolution, module] of RESOLUTIONS) {
    test(`types: the documented usage type-checks under --strict (lib ${lib}, ${resolution})`, () => {
      assert.equal(check(USAGE, { lib, resolution, module }), "");
    });
  }
}

test("types: every entry is typed: /slim, the .wasm subpath, /edge", () => {
  const errors = check(`import { initSync, LpClient } from "rampwire-lp/slim";
import wasm from "rampwire-lp/rampwire_lp_bg.wasm";
import { LpBot } from "rampwire-lp/edge";
initSync({ module: wasm });
new LpClient({ apiUrl: "x", lpKey: "y" }).close();
void LpBot;
`, { lib: "es2022,dom" });
  assert.equal(errors, "");
});

test("types: wrong usage is rejected", () => {
  const head = `import init, { initSync, LpClient } from "rampwire-lp";\nconst c = new LpClient({ apiUrl: "x", lpKey: "y" });\nvoid init; void initSync; void c;\n`;
  for (const bad of [
    `new LpClient({ apiUrl: "x" });`,
    `new LpClient({ apiUrl: "x", lpKey: "y", auth: "cookie" });`,
    `c.on("nope", () => {});`,
    `c.on("order", (o) => { const s: string = o.amount_fiat; void s; });`,
    `c.on("order", (o) => { const n: number = o.amount_fiat; void n; });`,
    `c.claim("12");`,
    `await c.waitForStatus(1, "complete");`,
    `const r = await c.claim(1); if (r.status === "taken") { void r.order; }`,
  ]) {
    assert.notEqual(check(head + bad + "\n"), "", `should not compile: ${bad}`);
  }
});

test("types: the README's browser snippet checks as JavaScript (strict, checkJs)", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const code = /```js readme=browser\n([\s\S]*?)```/.exec(readme)[1];
  const errors = check(`/** @type {string} */\nconst LP_KEY = "lp_x";\n${code}`, { lib: "es2022,dom", file: "browser.mjs", js: true });
  assert.equal(errors, "");
});

test("types: no any in the declarations", () => {
  for (const f of ["rampwire_lp.d.ts", "rampwire_lp.d.cts", "rampwire_lp_bg.wasm.d.ts", "edge/index.d.ts"]) {
    const dts = readFileSync(path.join(ROOT, "pkg", f), "utf8");
    const hits = dts.split("\n").filter((l) => /(:\s*any\b|=>\s*any\b|<any>|\bany\[\])/.test(l));
    assert.deepEqual(hits, [], f);
  }
});
