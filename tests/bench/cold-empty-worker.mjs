// The cold-start benchmark's baseline: a Worker that loads nothing (what Miniflare and
// workerd cost by themselves).
export default {
  fetch: () => new Response("ok"),
};
