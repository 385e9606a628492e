// The claim history: the journal's entries in Durable Object storage, one key per order
// (zero-padded id, so listed in id order), paged with a cursor, filtered by state and by
// last change, as JSON or CSV. How long entries are kept is the engine's compaction
// (JOURNAL_RETENTION_DAYS, default 90; JOURNAL_MAX_ENTRIES): it drops final entries only.

/** Storage prefix of entries. */
export const ENTRY = "e:";
/** The storage key of entry `id`. */
export const entryKey = (id) => `${ENTRY}${String(id).padStart(16, "0")}`;
/** Entries per page unless `limit` says (at most MAX_PAGE). */
const PAGE = 100;
const MAX_PAGE = 1000;
/** Storage reads per page at most (a filter matching little cannot make a page unbounded). */
const MAX_SCAN = 20_000;
const STATES = ["pending", "claimed", "fiat_sent", "completed", "lost", "gone", "released", "failed", "would_claim"];
const COLUMNS = ["id", "mode", "state", "currency", "amount_fiat", "amount_usd", "crypto_symbol", "crypto_chain", "seen_at", "claim_started_at", "updated_at", "final_at", "attempts", "owner", "gone", "error"];

/** A 400 for a bad query parameter. */
const bad = (message) => Response.json({ error: message }, { status: 400 });

/** `since`: wall ms, or an ISO date/time. */
function sinceOf(text) {
  if (text === null || text === "") return 0;
  if (/^[0-9]{1,15}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : null;
}

/** A CSV cell (RFC 4180 quoting; objects as JSON). */
function cell(v) {
  if (v === null || v === undefined) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * `GET /claims?state=&since=&cursor=&limit=&format=csv`: entries oldest id first, after
 * `cursor` (the last id of the previous page, `next` in JSON, `x-next-cursor` in CSV).
 */
export async function claimsPage(storage, url) {
  const q = url.searchParams;
  const state = q.get("state");
  if (state !== null && state !== "" && !STATES.includes(state)) return bad(`state: one of ${STATES.join(", ")}`);
  const since = sinceOf(q.get("since"));
  if (since === null) return bad("since: wall-clock ms or an ISO date");
  const cursor = q.get("cursor");
  if (cursor !== null && cursor !== "" && !/^[0-9]{1,16}$/.test(cursor)) return bad("cursor: the `next` of the previous page");
  const limitText = q.get("limit");
  const limit = limitText === null ? PAGE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return bad(`limit: 1 to ${MAX_PAGE}`);
  const page = [];
  let next = null;
  let scanned = 0;
  const opts = { prefix: ENTRY, limit: 1000 };
  if (cursor) opts.startAfter = entryKey(Number(cursor));
  for (;;) {
    const batch = await storage.list(opts);
    let lastId = null;
    for (const [key, e] of batch) {
      opts.startAfter = key;
      lastId = e.id;
      scanned++;
      if ((!state || e.state === state) && (!since || (e.updated_at ?? 0) >= since)) {
        page.push(e);
        if (page.length === limit) {
          next = String(e.id);
          break;
        }
      }
      if (scanned >= MAX_SCAN) {
        // The page stops here; the cursor goes on from the last entry read.
        next = String(e.id);
        break;
      }
    }
    if (next !== null || batch.size < opts.limit) break;
    if (lastId === null) break;
  }
  // A full page at the very end: no next page to read.
  if (next !== null && (await storage.list({ prefix: ENTRY, startAfter: entryKey(Number(next)), limit: 1 })).size === 0) next = null;
  if (q.get("format") === "csv") {
    const body = [COLUMNS.join(","), ...page.map((e) => COLUMNS.map((c) => cell(e[c])).join(","))].join("\r\n") + "\r\n";
    return new Response(body, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": "attachment; filename=\"claims.csv\"", ...(next ? { "x-next-cursor": next } : {}) } });
  }
  return Response.json({ entries: page, next });
}
