// The Node CLI bot's journal: an append-only JSON-lines file, fsynced before each write
// returns (so a `pending` entry is on disk before the claim it guards), compacted by
// write-then-rename, and locked so that two bots never share one journal.
//
// Lines: {"op":"put","entry":{…}} | {"op":"mode","record":{…}} | {"op":"forget","id":N}
// | {"op":"forget_mode","seq":N}. A last line cut short by a crash is ignored (it was
// never acknowledged, so nothing it guards was sent); any other bad line stops the load
// with the file name and line number.
import { openSync, writeSync, fsyncSync, closeSync, readFileSync, renameSync, mkdirSync, existsSync, unlinkSync } from "node:fs";
import path from "node:path";

/** Compact when the file holds this many times more lines than live records (and is big). */
const COMPACT_RATIO = 4;
const COMPACT_MIN_LINES = 10_000;

export class FileJournal {
  /** @param {string} dir the bot's directory (created if missing) */
  constructor(dir) {
    this.dir = dir;
    this.file = path.join(dir, "journal.jsonl");
    this.lockFile = path.join(dir, "journal.lock");
    this.fd = null;
    this.lines = 0;
    this.entries = new Map();
    this.modes = new Map();
    this.locked = false;
  }

  /** Takes the lock, reads the journal; `{ entries, modes }` for the engine's `load`. */
  async load() {
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    let cut = false;
    if (existsSync(this.file)) {
      const text = readFileSync(this.file, "utf8");
      cut = text.length > 0 && !text.endsWith("\n");
      const lines = text.split("\n");
      // The text after the last newline is a line cut short (or nothing).
      const complete = lines.slice(0, -1);
      complete.forEach((line, i) => {
        if (line.trim() === "") return;
        let op;
        try {
          op = JSON.parse(line);
        } catch {
          throw new Error(`${this.file}:${i + 1}: not a JSON line (the journal is damaged; fix or move it aside)`);
        }
        this.apply(op, `${this.file}:${i + 1}`);
      });
      this.lines = complete.length;
    }
    this.fd = openSync(this.file, "a");
    // A tail cut short is dropped now, so that appends start on a line of their own.
    if (cut) this.compact();
    return { entries: [...this.entries.values()], modes: [...this.modes.values()] };
  }

  apply(op, where) {
    switch (op?.op) {
      case "put":
        if (typeof op.entry?.id !== "number") throw new Error(`${where}: an entry without an id`);
        this.entries.set(op.entry.id, op.entry);
        break;
      case "mode":
        if (typeof op.record?.seq !== "number") throw new Error(`${where}: a mode record without a seq`);
        this.modes.set(op.record.seq, op.record);
        break;
      case "forget":
        this.entries.delete(op.id);
        break;
      case "forget_mode":
        this.modes.delete(op.seq);
        break;
      default:
        throw new Error(`${where}: unknown journal operation ${JSON.stringify(op?.op)}`);
    }
  }

  async put(entry) {
    this.append({ op: "put", entry });
  }

  async putMode(record) {
    this.append({ op: "mode", record });
  }

  async forget(id) {
    this.append({ op: "forget", id });
  }

  async forgetMode(seq) {
    this.append({ op: "forget_mode", seq });
  }

  /** Writes one line and syncs it to disk before returning. */
  append(op) {
    this.apply(op, "append");
    const line = JSON.stringify(op) + "\n";
    writeSync(this.fd, line);
    fsyncSync(this.fd);
    this.lines++;
    const live = this.entries.size + this.modes.size;
    if (this.lines > COMPACT_MIN_LINES && this.lines > COMPACT_RATIO * live) this.compact();
  }

  /** Rewrites the journal as one line per live record: temp file, fsync, rename, fsync dir. */
  compact() {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, "w");
    let n = 0;
    for (const record of this.modes.values()) (writeSync(fd, JSON.stringify({ op: "mode", record }) + "\n"), n++);
    for (const entry of this.entries.values()) (writeSync(fd, JSON.stringify({ op: "put", entry }) + "\n"), n++);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    const dirFd = openSync(this.dir, "r");
    fsyncSync(dirFd);
    closeSync(dirFd);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = openSync(this.file, "a");
    this.lines = n;
  }

  /** One bot per journal: a lock file holding the owner's pid (a dead owner's lock is taken over). */
  lock() {
    for (let tries = 0; tries < 2; tries++) {
      try {
        const fd = openSync(this.lockFile, "wx");
        writeSync(fd, String(process.pid));
        fsyncSync(fd);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (e) {
        if (e.code !== "EEXIST") throw e;
        const pid = Number(readFileSync(this.lockFile, "utf8"));
        if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
          throw new Error(`${this.dir} is in use by another bot (pid ${pid}); one journal, one bot`);
        }
        unlinkSync(this.lockFile); // its owner is gone
      }
    }
    throw new Error(`cannot lock ${this.lockFile}`);
  }

  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.locked) {
      try {
        unlinkSync(this.lockFile);
      } catch {
        /* gone already */
      }
      this.locked = false;
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}
