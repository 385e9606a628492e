// A minimal static file server for tests and the demo (127.0.0.1, ephemeral port).
import { createServer, request, Agent } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/**
 * Serves files under `root`; `mounts` maps URL prefixes ending in "/" to other
 * directories; `files` maps exact paths to in-memory contents; `proxy` maps URL prefixes
 * to an origin they are forwarded to (a reverse proxy, as a same-origin dashboard has).
 */
export function serveStatic(root, { port = 0, mounts = {}, files = {}, headers = {}, proxy = {} } = {}) {
  const agent = new Agent({ keepAlive: true });
  const server = createServer(async (req, res) => {
    const to = Object.entries(proxy).find(([prefix]) => req.url.startsWith(prefix));
    if (to) {
      const target = new URL(to[1]);
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      up.on("error", () => res.destroy());
      req.pipe(up);
      return;
    }
    try {
      const url = new URL(req.url, "http://x");
      let pathname = decodeURIComponent(url.pathname);
      if (pathname in files) {
        res.writeHead(200, { "content-type": TYPES[path.extname(pathname)] ?? "text/plain", "cache-control": "no-store", ...headers });
        res.end(files[pathname]);
        return;
      }
      if (pathname.endsWith("/")) pathname += "index.html";
      let base = root;
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (pathname.startsWith(prefix)) {
          base = dir;
          pathname = pathname.slice(prefix.length - 1);
          break;
        }
      }
      const file = path.join(base, path.normalize(pathname));
      if (!file.startsWith(path.resolve(base))) throw Object.assign(new Error("outside"), { code: "ENOENT" });
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
        ...headers,
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => {
        agent.destroy();
        server.closeAllConnections?.();
        server.close(r);
      }) });
    });
  });
}

/** Launches Debian's Chromium headless through playwright-core. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * Runs `fn(page)` on the scenario harness page (tests/js/browser-harness.html, with the
 * package initialised) in a fresh headless Chromium; closes browser and server afterwards.
 */
export async function withHarnessPage(root, fn, serveOptions = {}) {
  const web = await serveStatic(root, serveOptions);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${web.url}/tests/js/browser-harness.html`);
    await page.waitForFunction(() => window.ready === true);
    return await fn(page);
  } finally {
    await browser.close();
    await web.close();
  }
}
