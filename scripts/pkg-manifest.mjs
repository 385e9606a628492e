// Completes wasm-pack's pkg/package.json for npm: entry points, types, files, exports,
// sideEffects; and copies the README and licence texts into pkg/.
import { readFileSync, writeFileSync, copyFileSync, existsSync, readdirSync } from "node:fs";
import { transformSync } from "esbuild";
import { shortNames } from "./short-names.mjs";

const pkgPath = "pkg/package.json";
const p = JSON.parse(readFileSync(pkgPath, "utf8"));
const files = new Set(p.files ?? []);
for (const f of ["rampwire_lp_bg.wasm", "rampwire_lp.js", "rampwire_lp.d.ts", "rampwire_lp_bg.wasm.d.ts", "snippets", "README.md", "LICENSE"]) files.add(f);
const out = {
  name: "rampwire-lp",
  version: p.version,
  description: p.description,
  license: p.license,
  repository: p.repository,
  keywords: p.keywords,
  type: "module",
  module: "rampwire_lp.js",
  types: "rampwire_lp.d.ts",
  exports: {
    ".": { types: "./rampwire_lp.d.ts", default: "./rampwire_lp.js" },
    "./rampwire_lp_bg.wasm": "./rampwire_lp_bg.wasm",
  },
  files: [...files],
  // The glue installs nothing global on import; only a console-panic build has a start hook
  // (it sets the panic hook).
  sideEffects: false,
  engines: { node: ">=20" },
};
writeFileSync(pkgPath, JSON.stringify(out, null, 2) + "\n");
// wasm-bindgen's InitOutput lists the raw wasm exports (typed `any`): internal, not API.
const dts = "pkg/rampwire_lp.d.ts";
writeFileSync(dts, readFileSync(dts, "utf8").replace(
  /export interface InitOutput \{[\s\S]*?\n\}/,
  "/** The instantiated module (its exports are internal). */\nexport interface InitOutput {\n    readonly memory: WebAssembly.Memory;\n}",
));

// The wasm's hashed names get short ones (in the module and the glue alike): see short-names.mjs.
shortNames("pkg/rampwire_lp_bg.wasm", "pkg/rampwire_lp.js", "./rampwire_lp_bg.js");

// The shipped JS is minified (exports keep their names): the package runs where bytes
// cost money, and its budget counts wasm + JS (tests/js/bundle.test.mjs). The readable
// sources and their documentation are in src/js/ and in rampwire_lp.d.ts.
const jsFiles = ["pkg/rampwire_lp.js"];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) walk(path);
    else if (path.endsWith(".js")) jsFiles.push(path);
  }
};
if (existsSync("pkg/snippets")) walk("pkg/snippets");
for (const f of jsFiles) {
  const { code } = transformSync(readFileSync(f, "utf8"), { format: "esm", minify: true, legalComments: "none", target: "es2022" });
  writeFileSync(f, code);
}

for (const f of ["README.md", "LICENSE"]) {
  if (existsSync(f)) copyFileSync(f, `pkg/${f}`);
}
