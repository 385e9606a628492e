// Gives the wasm's imports short names, in the module and in its JS glue alike.
// wasm-bindgen names each import `__wbg_<name>_<16 hex digits of hash>`: the hashes stand
// in both files and do not compress (1.4 KB gzip of a 60 KB budget, measured). Every renamed
// import must appear exactly once in the glue, as a key of its imports object; anything
// else stops the build rather than shipping a module whose imports do not line up.
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
    default: throw new Error(`short-imports: unknown import kind ${kind}`);
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

/** Renames the imports of `module` in `wasmPath` and in the glue at `jsPath`. */
export function shortImports(wasmPath, jsPath, module) {
  const bytes = readFileSync(wasmPath);
  let js = readFileSync(jsPath, "utf8");
  const utf8 = new TextDecoder();
  const out = [bytes.subarray(0, 8)];
  let at = 8;
  let renamed = 0;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    const end = body + size;
    if (id !== 2) {
      out.push(bytes.subarray(at, end));
      at = end;
      continue;
    }
    const [count, first] = leb(bytes, body);
    const entries = [encodeLeb(count)];
    let p = first;
    for (let i = 0; i < count; i++) {
      const [modLen, modAt] = leb(bytes, p);
      const mod = utf8.decode(bytes.subarray(modAt, modAt + modLen));
      const [nameLen, nameAt] = leb(bytes, modAt + modLen);
      let name = utf8.decode(bytes.subarray(nameAt, nameAt + nameLen));
      const descEnd = skipDesc(bytes, nameAt + nameLen + 1, bytes[nameAt + nameLen]);
      if (mod === module) {
        const short = shortName(renamed++);
        const key = new RegExp(`(?<![\\w$"'])${name.replace(/\$/g, "\\$")}(?=:)`, "g");
        const hits = js.match(key)?.length ?? 0;
        if (hits !== 1) throw new Error(`short-imports: ${name} is a key of the glue ${hits} times, not once`);
        js = js.replace(key, short);
        name = short;
      }
      entries.push(bytes.subarray(p, modAt + modLen), encodeLeb(name.length), Buffer.from(name), bytes.subarray(nameAt + nameLen, descEnd));
      p = descEnd;
    }
    const section = Buffer.concat(entries.map((e) => Buffer.from(e)));
    out.push(Buffer.from([2, ...encodeLeb(section.length)]), section);
    at = end;
  }
  writeFileSync(wasmPath, Buffer.concat(out.map((e) => Buffer.from(e))));
  writeFileSync(jsPath, js);
  return renamed;
}
