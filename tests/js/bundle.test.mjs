// Bundle budget (issue #7): the optimised release pkg/ must stay within 60 KB gzip -9 for
// the wasm and its JS glue together, as shipped (a deterministic budget, so a test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 60_000;

function shipped(dir = "pkg") {
  const files = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) files.push(...shipped(path));
    else if (/\.(js|wasm)$/.test(e.name)) files.push(path);
  }
  return files;
}

test("wasm + JS glue ≤ 60 KB gzip -9", () => {
  const files = shipped();
  assert.ok(files.some((f) => f.endsWith(".wasm")), "pkg/ holds the wasm (run scripts/build-pkg.sh)");
  let total = 0;
  for (const f of files) {
    const gz = gzipSync(readFileSync(f), { level: 9 }).length;
    total += gz;
    console.log(`${f}: ${gz} B gzip`);
  }
  console.log(`total: ${total} B gzip (budget ${BUDGET})`);
  assert.ok(total <= BUDGET, `${total} B gzip is over the ${BUDGET} B budget`);
});
