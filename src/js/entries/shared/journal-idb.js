// The auto-claim bot's journal in IndexedDB (the bot driver's JournalStore), one per API
// origin and LP id, in the worker's origin. A record holds what the engine persists, never
// the key (the engine never sees it). Every write is durable (its transaction complete)
// before the promise resolves, as the driver's contract asks.

const DB = "rampwire-lp-autoclaim";
const STORE = "journal";

let dbp = null;
function db() {
  dbp ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: ["origin", "lp", "kind", "n"] });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return dbp;
}

function tx(mode, fn) {
  return db().then((d) => new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode, { durability: "strict" });
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(req?.result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error ?? new Error("journal write aborted"));
  }));
}

/** The journal store of LP `lp` at API `origin`. */
export function idbJournal(origin, lp) {
  const range = (kind) => IDBKeyRange.bound([origin, lp, kind, -Infinity], [origin, lp, kind, Infinity]);
  const put = (kind, n, v) => tx("readwrite", (s) => s.put({ origin, lp, kind, n, v }));
  const del = (kind, n) => tx("readwrite", (s) => s.delete([origin, lp, kind, n]));
  return {
    async load() {
      const [entries, modes] = await Promise.all([tx("readonly", (s) => s.getAll(range("entry"))), tx("readonly", (s) => s.getAll(range("mode")))]);
      return { entries: entries.map((r) => r.v), modes: modes.map((r) => r.v) };
    },
    put: (entry) => put("entry", entry.id, entry),
    putMode: (record) => put("mode", record.seq, record),
    forget: (id) => del("entry", id),
    forgetMode: (seq) => del("mode", seq),
  };
}
