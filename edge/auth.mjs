// The operator API's authentication: `Authorization: Bearer <OPERATOR_TOKEN>`.

/** `Authorization: Bearer <token>` (the scheme required), compared in constant time. */
export async function tokenMatches(request, expected) {
  const m = /^Bearer ([^\s]+)$/.exec(request.headers.get("authorization") ?? "");
  if (m === null) return false;
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(m[1])),
    crypto.subtle.digest("SHA-256", enc.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** null when the request may go on, else the response refusing it (503 unset, 401 wrong). */
export async function refusal(request, env) {
  if (!env.OPERATOR_TOKEN) return Response.json({ error: "the OPERATOR_TOKEN secret is not set" }, { status: 503 });
  if (!(await tokenMatches(request, env.OPERATOR_TOKEN))) {
    return Response.json({ error: "unauthorized" }, { status: 401, headers: { "www-authenticate": "Bearer" } });
  }
  return null;
}
