// A Worker for hostile.test.mjs: one client call per request on the fetch path (workerd's
// fetch, with the release package loaded as Workers require), against the hostile server
// the Node test runs. The test scripts the server and asserts; this only reports.
//   GET /?base=http://127.0.0.1:P&call=claim&id=5&opts={...}
//   → { ok: <result> } | { error: { name, kind, message, status, orderId } }, plus lpId
import { initSync, LpClient } from "../../pkg/rampwire_lp.js";
import wasm from "../../pkg/rampwire_lp_bg.wasm";

initSync({ module: wasm });

export default {
  async fetch(request) {
    const u = new URL(request.url);
    const base = u.searchParams.get("base");
    const call = u.searchParams.get("call");
    const id = Number(u.searchParams.get("id"));
    const opts = JSON.parse(u.searchParams.get("opts") || "{}");
    const key = u.searchParams.get("key");
    let c;
    try {
      c = new LpClient({ apiUrl: base, lpKey: key, requestTimeoutMs: 3000, ...opts });
      if (u.searchParams.get("connect") !== "0") await c.connect();
      let out;
      try {
        out = { ok: await c[call](id) };
      } catch (e) {
        out = { error: { name: e?.name, kind: e?.kind, message: e?.message, status: e?.status, orderId: e?.orderId } };
      }
      out.lpId = c.lpId ?? null;
      return Response.json(out);
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    } finally {
      c?.free();
    }
  },
};
