// The operator's saved view settings (filters, limits, sort, alert choices) in
// localStorage. Only these named, plain fields are ever written: never the key.

const SLOT = "rampwire.dashboard.prefs";

/** What is kept, with its defaults. */
const DEFAULTS = {
  /** Currency shown ("" = all). */
  currency: "",
  /** Largest amount_fiat shown, per currency; "*" applies to currencies without their own. */
  limits: {},
  /** Column and direction of the order table. */
  sort: { key: "id", dir: "desc" },
  /** Orders older than this many seconds are re-checked with GET /api/orders/{id}. */
  staleAfterS: 10,
  sound: false,
  notify: false,
  announce: false,
};

/** The saved settings, each field checked (a field of another type falls back to its default). */
export function loadPrefs() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(SLOT) ?? "{}") ?? {};
  } catch { /* unreadable: defaults */ }
  const p = structuredClone(DEFAULTS);
  if (typeof saved.currency === "string" && saved.currency.length <= 8) p.currency = saved.currency;
  if (saved.limits && typeof saved.limits === "object") {
    for (const [k, v] of Object.entries(saved.limits).slice(0, 64)) if (k.length <= 8 && Number.isFinite(v) && v >= 0) p.limits[k] = v;
  }
  if (saved.sort && ["id", "amount", "currency", "usd", "age"].includes(saved.sort.key) && ["asc", "desc"].includes(saved.sort.dir)) p.sort = { key: saved.sort.key, dir: saved.sort.dir };
  if (Number.isFinite(saved.staleAfterS) && saved.staleAfterS >= 1 && saved.staleAfterS <= 3600) p.staleAfterS = saved.staleAfterS;
  for (const k of ["sound", "notify", "announce"]) if (typeof saved[k] === "boolean") p[k] = saved[k];
  return p;
}

/** Saves `prefs` (only the known fields). */
export function savePrefs(prefs) {
  const out = {};
  for (const k of Object.keys(DEFAULTS)) out[k] = prefs[k];
  try {
    localStorage.setItem(SLOT, JSON.stringify(out));
  } catch { /* storage full or off: the settings hold for this visit */ }
}
