// Gives the wasm's imports, and its exports named with a Rust symbol hash, short names in
// the module and in its JS glue alike. wasm-bindgen names each import
// `__wbg_<name>_<16 hex digits of hash>`, and each closure entry point
// `…invoke__h<16 hex digits>`: the hashes stand in both files and do not compress (1.4 KB
// gzip of a 60 KB budget, measured). Every renamed import must appear exactly once in the
// glue, as a key of its imports object, and every renamed export at least once; anything
// else stops the build rather than shipping a module whose names do not line up.
import { readFileSync, writeFileSync } from "node:fs";

/** Reads an unsigned LEB128 at `at`; returns [value, next offset]. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

function encodeLeb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** The offset after an import's description (kinds as in the core spec). */
function skipDesc(bytes, at, kind) {
  const limits = (p) => {
    const flags = bytes[p];
    let [, q] = leb(bytes, p + 1);
    if (flags & 1) [, q] = leb(bytes, q);
    return q;
  };
  switch (kind) {
    case 0: return leb(bytes, at)[1]; // func: type index
    case 1: return limits(at + 1); // table: reftype, limits
    case 2: return limits(at); // memory: limits
    case 3: return at + 2; // global: valtype, mutability
    case 4: return leb(bytes, at + 1)[1]; // tag: attribute, type index
    default: throw new Error(`short-names: unknown import kind ${kind}`);
  }
}

/** "a", "b", … "Z", "aa", …: the i-th short name. */
function shortName(i) {
  const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let s = "";
  do {
    s = abc[i % abc.length] + s;
    i = Math.floor(i / abc.length) - 1;
  } while (i >= 0);
  return s;
}

/**
 * Renames `name` in the glue: as the one key of the imports object it is (`key`), or at
 * every use (an export, at least one); returns the glue.
 */
function renameInGlue(js, name, short, key) {
  const escaped = name.replace(/\$/g, "\\$");
  const re = key ? new RegExp(`(?<![\\w$"'])${escaped}(?=:)`, "g") : new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`, "g");
  const hits = js.match(re)?.length ?? 0;
  if (key ? hits !== 1 : hits === 0) throw new Error(`short-names: ${name} stands in the glue ${hits} times`);
  return js.replace(re, short);
}

/** A name as the binary format writes it: its length, then its UTF-8 bytes. */
const encodeName = (name) => [...encodeLeb(Buffer.byteLength(name)), ...Buffer.from(name)];

/**
 * Renames, in `wasmPath` and the glue at `jsPath`, the imports of `module` (their module
 * too, to `shortModule`) and the exports whose names end in a symbol hash or are the
 * glue's (`lpclient_…`, `__wbindgen_…`).
 */
export function shortNames(wasmPath, jsPath, module, shortModule = "w") {
  const bytes = readFileSync(wasmPath);
  let js = readFileSync(jsPath, "utf8");
  const utf8 = new TextDecoder();
  const readName = (p) => {
    const [len, at] = leb(bytes, p);
    return [utf8.decode(bytes.subarray(at, at + len)), at + len];
  };
  const out = [bytes.subarray(0, 8)];
  let at = 8;
  let renamed = 0;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    const end = body + size;
    if (id !== 2 && id !== 7) {
      out.push(bytes.subarray(at, end));
      at = end;
      continue;
    }
    const [count, first] = leb(bytes, body);
    const entries = [encodeLeb(count)];
    let p = first;
    for (let i = 0; i < count; i++) {
      if (id === 2) {
        // Import: module name, field name, description.
        const [mod, nameAt] = readName(p);
        let [name, descAt] = readName(nameAt);
        const descEnd = skipDesc(bytes, descAt + 1, bytes[descAt]);
        let modName = mod;
        if (mod === module) {
          const short = shortName(renamed++);
          js = renameInGlue(js, name, short, true);
          name = short;
          modName = shortModule;
        }
        entries.push(encodeName(modName), encodeName(name), bytes.subarray(descAt, descEnd));
        p = descEnd;
      } else {
        // Export: name, kind, index.
        let [name, kindAt] = readName(p);
        const descEnd = leb(bytes, kindAt + 1)[1];
        // Hashed names, and wasm-bindgen's and the client's, where the glue uses them (not
        // `memory`, a word the glue uses otherwise too).
        if (/_h[0-9a-f]{16}$/.test(name) || (/^(lpclient_|__wbg_|__wbindgen_|__externref_)/.test(name) && js.includes(`.${name}`))) {
          const short = `_${shortName(renamed++)}`;
          js = renameInGlue(js, name, short, false);
          name = short;
        }
        entries.push(encodeName(name), bytes.subarray(kindAt, descEnd));
        p = descEnd;
      }
    }
    if (id === 2) {
      // The imports' module, as the glue names it (its one key): `"./x.js":` or `x:`.
      const key = JSON.stringify(module);
      const hits = js.split(`${key}:`).length - 1;
      if (hits !== 1) throw new Error(`short-names: the module ${key} stands in the glue ${hits} times`);
      js = js.replace(`${key}:`, `${shortModule}:`);
    }
    const section = Buffer.concat(entries.map((e) => Buffer.from(e)));
    out.push(Buffer.from([id, ...encodeLeb(section.length)]), section);
    at = end;
  }
  writeFileSync(wasmPath, Buffer.concat(out.map((e) => Buffer.from(e))));
  writeFileSync(jsPath, js);
  return renamed;
}
