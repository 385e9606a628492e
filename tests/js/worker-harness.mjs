// A Worker that runs one scenario per request, with the release package as a Worker
// imports it: its `workerd` entry instantiates the module (bundled as wrangler does: workerd.mjs).
import { LpClient } from "rampwire-lp";
import { scenarios } from "./scenarios.mjs";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const name = url.searchParams.get("scenario");
    const base = url.searchParams.get("base");
    if (!(name in scenarios)) return new Response(`unknown scenario ${name}`, { status: 404 });
    try {
      await scenarios[name]({ LpClient, base });
      return new Response("ok");
    } catch (e) {
      return new Response(String(e && e.stack ? e.stack : e), { status: 500 });
    }
  },
};
