// Takes the README's dashboard screenshots (www/img/) against a local simulator with
// competitors: `node --experimental-websocket tests/js/dashboard-shots.mjs` after
// scripts/build-pkg.sh. Not a test: a picture to look at.
import path from "node:path";
import { startSim, ROOT, KEY } from "./sim.mjs";
import { serveStatic, launchChromium } from "./static.mjs";

const IMG = path.join(ROOT, "www/img");
const sim = await startSim(["--seed", "21", "--initial-orders", "9", "--complete-after-ms", "60000",
  "--competitors", "2", "--competitor-share", "0.6", "--competitor-ws-share", "0", "--competitor-delay-ms", "300..1500"]);
const web = await serveStatic(path.join(ROOT, "www"), {
  mounts: { "/pkg/": path.join(ROOT, "pkg") },
  files: { "/config.json": JSON.stringify({ apiUrl: sim.base, demoKeys: [KEY] }) },
});
const browser = await launchChromium();
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** A working scene: two claims won (one paid), rows taken elsewhere, rows waiting behind the bar. */
async function scene(options, file, { hold = true } = {}) {
  const ctx = await browser.newContext(options);
  const page = await ctx.newPage();
  await page.goto(`${web.url}/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#stale-after", "3");
  await page.fill("#lp-key", KEY);
  await page.press("#lp-key", "Enter");
  await page.waitForFunction(() => document.querySelector("#badge").textContent === "Live");
  await page.mouse.move(1, 1);
  const won = [];
  for (const [currency, amount_fiat, amount_usd] of [["UGX", 467840, 126.4], ["KES", 12500, 96.9]]) {
    const o = await sim.order({ currency, amount_fiat, amount_usd });
    await page.waitForSelector(`tr[data-id="${o.id}"] button.claim`);
    await page.$eval(`tr[data-id="${o.id}"] button.claim`, (b) => b.click());
    await page.waitForSelector(`.claim-card[data-id="${o.id}"] button.primary:not([disabled])`);
    won.push(o);
  }
  await page.$eval(`.claim-card[data-id="${won[0].id}"] button.primary`, (b) => b.click());
  await page.click(`.claim-card[data-id="${won[0].id}"] .confirm button.primary`);
  await pause(3000);
  for (const [currency, amount_fiat] of [["GHS", 240], ["NGN", 136800], ["ZAR", 1850], ["KES", 4200], ["NGN", 52000]]) await sim.order({ currency, amount_fiat });
  await pause(300);
  await page.evaluate(() => scrollTo(0, 0));
  if (hold) {
    // The pointer rests in the table: rows taken elsewhere are marked and stay put, new
    // ones wait behind the bar.
    const last = page.locator("#order-rows tr:not([hidden]) button.claim:not([hidden])").last();
    await last.hover();
    await pause(5000);
    for (const [currency, amount_fiat] of [["KES", 9800], ["UGX", 120000]]) await sim.order({ currency, amount_fiat });
    await page.waitForFunction(() => /new/.test(document.querySelector("#news-bar").textContent));
  } else {
    await pause(5000);
  }
  await page.screenshot({ path: path.join(IMG, file), fullPage: options.viewport.width < 500 });
  await ctx.close();
  console.log(`www/img/${file}`);
}

try {
  await scene({ viewport: { width: 1366, height: 800 }, colorScheme: "light" }, "dashboard.png");
  await scene({ viewport: { width: 1366, height: 800 }, colorScheme: "dark" }, "dashboard-dark.png");
  await scene({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: "light" }, "dashboard-phone.png", { hold: false });
} finally {
  await browser.close();
  await web.close();
  await sim.stop();
}
