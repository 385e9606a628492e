// `rampwire-lp bot --record FILE`: the recording's Node file sink (the writer:
// recorder.mjs), rotated to FILE.1 .. FILE.N at the writer's bound.
import fs from "node:fs";

/** Rotated parts kept by default (FILE.1 newest .. FILE.N oldest). */
export const DEFAULT_KEEP = 3;

/**
 * A Node file sink: appends to `path`; `rotate()` moves it to `path.1` (`.1` to `.2`, ...,
 * dropping `.keep`) and starts `path` afresh. A file already at `path` is rotated away
 * first: a part always begins with its own header.
 */
export function fileSink(path, { keep = DEFAULT_KEEP } = {}) {
  const parts = Math.max(1, Math.floor(keep));
  const shift = () => {
    // The oldest part is overwritten by the rename before it.
    for (let i = parts; i >= 1; i--) {
      const from = i === 1 ? path : `${path}.${i - 1}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${path}.${i}`);
    }
  };
  if (fs.existsSync(path) && fs.statSync(path).size > 0) shift();
  let fd = fs.openSync(path, "a", 0o600);
  return {
    write(text) {
      fs.writeSync(fd, text);
    },
    rotate() {
      fs.closeSync(fd);
      shift();
      fd = fs.openSync(path, "a", 0o600);
    },
    close() {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}
