// One IndexedDB object store of the dashboard's, keyed by API origin, LP id and order id
// (never the key): opened once, on first use.

/** Returns `db()`, the promise of database `name` with its one store `store`. */
export function openStore(name, store) {
  let dbp = null;
  return () => {
    dbp ??= new Promise((resolve, reject) => {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(store, { keyPath: ["origin", "lp", "id"] });
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    return dbp;
  };
}
