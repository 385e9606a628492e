// Recordings of the order stream, for `rampwire-lp replay` (the format: src/bot/recording.rs).
// JSON lines: a header, then the frames a driver received (`init`, `new_order`,
// `order_taken`) with their receive times, what its lookups showed of orders (`state`),
// disconnections and round trips. Only whitelisted fields are written — order fields,
// `lp_id`, the currency filter — so the key, or anything derived from it, never is; a
// line that holds a secret anyway (a server echoing it in an order field) is dropped.
//
// Platform-free: a `RecordingWriter` writes into a sink `{ write(text), rotate() }`. The
// Node CLI uses `fileSink` (recording-file.mjs: a file, rotated to FILE.1 .. FILE.N); the
// edge bot a sink over its Durable Object's storage (edge/recording.mjs). Bounded: at `maxBytes` the sink rotates and a new part starts with
// its own header, so every part is a recording of its own.

/** The recording format version written. */
export const RECORDING_VERSION = 1;
/** Bytes per recording part by default (then it rotates). */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

const ORDER_FIELDS = ["id", "amount_fiat", "currency", "amount_usd", "crypto_symbol", "crypto_chain", "status", "created_at"];

export class RecordingWriter {
  /**
   * @param {object} o
   * @param {{ write(text: string): void, rotate(): void }} o.sink  where lines go
   * @param {string} [o.source]          who records (`cli`, `edge`, ...), in the header
   * @param {number} [o.maxBytes]        bytes per part before the sink rotates
   * @param {string[]} [o.secrets]       texts no line may hold (the LP key): such a line is dropped
   * @param {boolean} [o.completeStates] every state change of every order is recorded
   * @param {() => number} [o.now]       wall-clock ms, for the header
   * @param {boolean} [o.header]         write the header (a sink that gives its own on export, the edge's, takes none)
   * @param {number} [o.lastT]           the last line's time already written (a sink carried on after a restart)
   */
  constructor({ sink, source = "cli", maxBytes = DEFAULT_MAX_BYTES, secrets = [], completeStates = false, now = Date.now, header = true, lastT = 0 }) {
    this.sink = sink;
    this.source = source;
    this.maxBytes = Math.max(4096, maxBytes);
    this.secrets = secrets.filter((s) => typeof s === "string" && s.length > 0);
    this.completeStates = completeStates;
    this.now = now;
    this.lastT = Number.isFinite(lastT) && lastT > 0 ? lastT : 0;
    this.bytes = 0;
    /** lines written, parts rotated, lines dropped (holding a secret, or unwritable), the last write error */
    this.stats = { lines: 0, rotations: 0, dropped: 0, error: null };
    this.writesHeader = header;
    if (header) this.header();
  }

  /** The `init` event of an LpClient (`{ orders, lpId, currencies }`), received at `t`. */
  init(t, init) {
    const frame = { type: "init", orders: (init?.orders ?? []).map(order), lp_id: safeId(init?.lpId), currencies: Array.isArray(init?.currencies) ? init.currencies.filter((c) => typeof c === "string") : [] };
    this.line({ t: this.time(t), frame });
  }

  /** A `new_order` (the client's order object), received at `t`. */
  newOrder(t, o) {
    this.line({ t: this.time(t), frame: { type: "new_order", order: order(o) } });
  }

  /** An `order_taken` for order `id`, received at `t`. */
  orderTaken(t, id) {
    if (safeId(id) === null) return;
    this.line({ t: this.time(t), frame: { type: "order_taken", order_id: id } });
  }

  /** What a lookup showed of an order (`{ id, status, lp_id }`; ids may be numeric strings). */
  state(t, o) {
    const id = safeId(o?.id);
    if (id === null || typeof o?.status !== "string") return;
    const state = { id, status: o.status };
    const lp = safeId(o.lp_id);
    if (lp !== null) state.lp_id = lp;
    this.line({ t: this.time(t), state });
  }

  /** The socket went down at `t`. */
  disconnected(t) {
    this.line({ t: this.time(t), event: "disconnected" });
  }

  /** A measured claim round trip (ms) at `t`. */
  rtt(t, ms) {
    if (!(Number.isFinite(ms) && ms >= 0)) return;
    this.line({ t: this.time(t), rtt_ms: Math.round(ms) });
  }

  // A time never before the previous line's (the wall clock may step back): replay
  // refuses lines out of order.
  time(t) {
    const ms = Number.isFinite(t) && t > 0 ? Math.round(t) : this.lastT;
    this.lastT = Math.max(this.lastT, ms);
    return this.lastT;
  }

  /** A recording's first line: the format's version, who recorded, since when (wall ms). */
  static headerLine({ source, startedAt, completeStates = false }) {
    const h = { rampwire_recording: RECORDING_VERSION, source, started_at: Math.round(startedAt) };
    if (completeStates) h.complete_states = true;
    return JSON.stringify(h) + "\n";
  }

  header() {
    const text = RecordingWriter.headerLine({ source: this.source, startedAt: this.now(), completeStates: this.completeStates });
    this.sink.write(text);
    this.bytes = text.length;
  }

  line(value) {
    const text = JSON.stringify(value) + "\n";
    if (this.secrets.some((s) => text.includes(s))) {
      this.stats.dropped++;
      return;
    }
    try {
      if (this.writesHeader && this.bytes + text.length > this.maxBytes) {
        this.sink.rotate();
        this.stats.rotations++;
        this.header();
      }
      this.sink.write(text);
      this.bytes += text.length;
      this.stats.lines++;
    } catch (e) {
      // A full disk costs the recording, never the bot (this runs in the client's listeners).
      this.stats.dropped++;
      this.stats.error = String(e?.message ?? e);
    }
  }
}

/** An order with the wire's fields only (amounts the client could not read stay null). */
function order(o) {
  const out = {};
  for (const k of ORDER_FIELDS) {
    const v = o?.[k];
    if (k === "id") out.id = safeId(v) ?? 0;
    else if (k === "amount_fiat" || k === "amount_usd") out[k] = typeof v === "number" && Number.isFinite(v) ? v : null;
    else if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** A whole number id (JS-exact), from a number or a numeric string; else null. */
function safeId(v) {
  const n = typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : v;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
