// REST over Node's own `http`/`https` modules, with keep-alive agents per client: Node's
// `fetch` (undici) takes ~0.4 ms longer from the call to the request on the wire, and a
// claim races other LPs. Installed on the global scope by the package's Node entries
// (and the CLI) before a client is made; host.js finds it there. Browsers and Workers
// never load this file.

/** Report codes (keep in step with host.js and flows.rs). */
const TIMED_OUT = 1;
const FAILED = 2;
const BODY_TOO_LARGE = 4;
const decoder = new TextDecoder();
/**
 * node:http and node:https, found at run time rather than imported: this file is bundled
 * into node.cjs, which a user's ES module bundle may include, where a `require` of a
 * built-in fails (process.getBuiltinModule is Node 20.16+; `require` serves older ones).
 */
const builtin = (name) => globalThis.process?.getBuiltinModule?.(name) ?? require(name);
let modules = null;
const MODULES_OF = () => (modules ??= [builtin("node:http"), builtin("node:https")]);

const transport = {
  /** A client's keep-alive agents, [http, https]; `destroy()`ed when the client is freed. */
  agents: () => MODULES_OF().map((m) => new m.Agent({ keepAlive: true })),

  /**
   * One exchange for `host` (its headers, timeout, body cap and agents): resolves with
   * [status, body text]; rejects with [code, platform message]. No redirect is followed.
   * The timeout covers the body.
   */
  exchange: (host, url, post) =>
    new Promise((resolve, reject) => {
      let code = FAILED;
      let timer;
      let done = false;
      const fail = (e) => {
        clearTimeout(timer);
        if (!done) reject([code, String((e && e.message) || "request failed")]);
        done = true;
      };
      const tls = url.startsWith("https:") ? 1 : 0;
      let req;
      try {
        req = MODULES_OF()[tls].request(url, { method: post ? "POST" : "GET", headers: host.headers(post), agent: host.agents[tls] });
      } catch (e) {
        return fail(e);
      }
      req.on("error", fail);
      req.on("response", (res) => {
        // Bytes are counted as they arrive: past maxBody the request is cut off (a huge
        // body would otherwise exhaust memory, or throw on the string's length).
        const chunks = [];
        let size = 0;
        res.on("data", (chunk) => {
          size += chunk.length;
          if (size > host.maxBody) {
            code = BODY_TOO_LARGE;
            fail(new Error("answer body too large"));
            // No error argument: a keep-alive socket whose answer already ended has no
            // `error` listener left, and an unheard error would end the process.
            req.destroy();
            res.destroy();
          } else chunks.push(chunk);
        });
        res.on("end", () => {
          clearTimeout(timer);
          if (!done) resolve([res.statusCode, decoder.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))]);
          done = true;
        });
        res.on("error", fail);
        res.on("close", () => res.complete || fail(new Error("the connection closed before the answer was complete")));
      });
      req.end(post ? "{}" : undefined);
      timer = setTimeout(() => {
        code = TIMED_OUT;
        req.destroy(new Error("timed out"));
      }, host.timeoutMs);
    }),
};

/** Makes every client of this process (made from now on) use node:http(s). */
export function installNodeTransport() {
  globalThis[Symbol.for("rampwire-lp.node-http")] ??= transport;
}
