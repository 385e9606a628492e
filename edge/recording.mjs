// The edge bot's recording (issue 21): the order stream its driver sees, in the format
// `rampwire-lp replay` reads (src/bot/recording.rs), kept in the object's storage and
// exported at `GET /bots/{name}/recording`. On when a bot's RECORD_MAX_KB is above 0.
//
// Lines gather in memory and are stored in chunks of up to CHUNK_BYTES (a storage value
// holds at most 128 KiB): when a chunk fills, at each watchdog alarm and before an export.
// Bounded: past RECORD_MAX_KB the oldest chunks are deleted (the rotation), so what is
// kept is the newest stretch of the stream (RECORD_MAX_KB, plus at most one chunk); an export starts with a fresh header, and each
// chunk holds whole lines in time order. A reset loses at most the lines of one watchdog
// period that were not stored yet. Writes go out with `allowUnconfirmed`: a recording
// never holds a claim back (Durable Objects hold outgoing requests until confirmed writes).
// Never the key: the writer keeps only whitelisted fields, and drops a line holding it.

/** Storage keys: the chunks by sequence, and what is kept (sequences, sizes, last time). */
const CHUNK = "rec:";
const chunkKey = (seq) => `${CHUNK}${String(seq).padStart(12, "0")}`;
const META = "rec_meta";
/** Largest stored chunk, in characters (lines are JSON, nearly all ASCII: far below 128 KiB). */
export const CHUNK_BYTES = 32 * 1024;
/** Chunks read per storage call while exporting. */
const EXPORT_PAGE = 16;

export class EdgeRecording {
  /**
   * @param {object} o
   * @param {DurableObjectStorage} o.storage
   * @param {Function} o.RecordingWriter  the writer class (rampwire-lp/bot)
   * @param {number} o.maxBytes           stored bytes kept at most
   * @param {string[]} o.secrets          texts no line may hold (the key)
   */
  constructor({ storage, RecordingWriter, maxBytes, secrets }) {
    this.storage = storage;
    this.RecordingWriter = RecordingWriter;
    this.maxBytes = Math.max(CHUNK_BYTES, maxBytes);
    this.secrets = secrets;
    /** `{ next, chunks: [[seq, bytes]...], lastT, startedAt }` */
    this.meta = null;
    this.buf = "";
    this.writing = Promise.resolve();
    this.writer = null;
  }

  /** Reads what is kept and makes the writer (to give the driver as `record`). */
  async load() {
    this.meta = (await this.storage.get(META)) ?? { next: 0, chunks: [], lastT: 0, startedAt: Date.now() };
    this.writer = new this.RecordingWriter({
      sink: { write: (text) => this.write(text), rotate: () => {} },
      source: "edge",
      maxBytes: Infinity,
      secrets: this.secrets,
      header: false,
      lastT: this.meta.lastT,
    });
    return this.writer;
  }

  write(text) {
    this.buf += text;
    if (this.buf.length >= CHUNK_BYTES) this.flush();
  }

  /** Stores the lines gathered so far (and drops the oldest chunks past the bound). */
  flush() {
    this.writing = this.writing.then(() => this.store()).catch(() => {
      // A failed write costs the recording, never the bot.
      if (this.writer) this.writer.stats.dropped++;
    });
    return this.writing;
  }

  async store() {
    if (this.buf === "") return;
    // Whole lines only, at most CHUNK_BYTES each (a line is far smaller).
    let cut = this.buf.length <= CHUNK_BYTES ? this.buf.length : this.buf.lastIndexOf("\n", CHUNK_BYTES - 1) + 1;
    if (cut <= 0) cut = this.buf.length;
    const text = this.buf.slice(0, cut);
    this.buf = this.buf.slice(cut);
    const m = this.meta;
    const seq = m.next++;
    m.chunks.push([seq, text.length]);
    m.lastT = this.writer?.lastT ?? m.lastT;
    let kept = m.chunks.reduce((s, [, n]) => s + n, 0);
    const gone = [];
    // The oldest chunk goes while the rest still hold the bound's worth: what is kept is
    // the newest RECORD_MAX_KB at least and one chunk more at most.
    while (m.chunks.length > 1 && kept - m.chunks[0][1] >= this.maxBytes) {
      const [old, n] = m.chunks.shift();
      gone.push(chunkKey(old));
      kept -= n;
    }
    await this.storage.put({ [chunkKey(seq)]: text, [META]: m }, { allowUnconfirmed: true });
    if (gone.length) await this.storage.delete(gone, { allowUnconfirmed: true });
    if (this.buf.length >= CHUNK_BYTES) await this.store();
  }

  /** The recording as a JSON-lines Response: a header, then the kept chunks, oldest first. */
  async export() {
    await this.flush();
    const seqs = this.meta.chunks.map(([seq]) => seq);
    const header = this.RecordingWriter.headerLine({ source: "edge", startedAt: this.meta.startedAt });
    const storage = this.storage;
    let i = 0;
    const enc = new TextEncoder();
    const body = new ReadableStream({
      start(c) {
        c.enqueue(enc.encode(header));
      },
      async pull(c) {
        if (i >= seqs.length) return c.close();
        const keys = seqs.slice(i, i + EXPORT_PAGE).map(chunkKey);
        i += EXPORT_PAGE;
        const got = await storage.get(keys);
        for (const k of keys) if (typeof got.get(k) === "string") c.enqueue(enc.encode(got.get(k)));
      },
    });
    return new Response(body, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "content-disposition": 'attachment; filename="recording.jsonl"' } });
  }

  /** Bytes stored, chunks, and the writer's counts (for /status). */
  stats() {
    const stored = this.meta?.chunks.reduce((s, [, n]) => s + n, 0) ?? 0;
    return { stored_bytes: stored, chunks: this.meta?.chunks.length ?? 0, max_bytes: this.maxBytes, ...(this.writer?.stats ?? {}) };
  }
}
