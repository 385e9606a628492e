// rampwire-lp/shared's declarations (issue 19), resolved by name as a user's project does:
// the documented usage type-checks under --strict (with DOM), wrong usage does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./sim.mjs";

const dir = path.join(ROOT, "target/shared-types-check");
rmSync(dir, { recursive: true, force: true });
mkdirSync(path.join(dir, "node_modules"), { recursive: true });
symlinkSync(path.join(ROOT, "pkg"), path.join(dir, "node_modules/rampwire-lp"));
writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');

function check(source, resolution = "bundler", module = "es2022") {
  writeFileSync(path.join(dir, "use.ts"), source);
  const compilerOptions = { strict: true, noEmit: true, target: "es2022", module, moduleResolution: resolution, lib: ["es2022", "dom"], types: [] };
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["use.ts"] }));
  try {
    execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", dir], { encoding: "utf8" });
    return "";
  } catch (e) {
    return e.stdout || String(e);
  }
}

const USAGE = `import init, { LpClient, LpError, sharedMode, type Order, type ClaimResult, type SharedClaimEvent } from "rampwire-lp/shared";
await init();
const c = new LpClient({ apiUrl: "https://api.rampwire.app", lpKey: "lp_x", currencies: ["KES"] });
c.on("order", (o: Order) => { void o.amount_fiat; });
c.on("claim", (e: SharedClaimEvent) => { if (e.result.status === "claimed") void e.orderId; });
const i = await c.connect();
const r: ClaimResult = await c.claim(i.orders[0].id);
void r;
const m: "shared-worker" | "leader" | "follower" | null = await sharedMode();
void m;
try { c.fiatSentWs(1); } catch (e) { if (e instanceof LpError) void e.kind; }
c.close();
`;

for (const [resolution, module] of [["bundler", "es2022"], ["node16", "node16"]]) {
  test(`shared types: the documented usage type-checks (${resolution})`, () => {
    assert.equal(check(USAGE, resolution, module), "");
  });
}

test("shared types: wrong usage is rejected", () => {
  const head = `import { LpClient } from "rampwire-lp/shared";\nconst c = new LpClient({ apiUrl: "x", lpKey: "y" });\nvoid c;\n`;
  for (const bad of [`new LpClient({ apiUrl: "x", lpKey: "y", WebSocket: class {} });`, `c.on("nope", () => {});`, `c.claim("1");`]) {
    assert.notEqual(check(head + bad + "\n"), "", `should not compile: ${bad}`);
  }
});
