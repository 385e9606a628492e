#!/usr/bin/env node
// The package's `rampwire-lp` command: loads the bot build of the package (client and
// bot engine in one module) and runs the CLI (cli.mjs). Node 20 and 21 have a global
// WebSocket only behind a flag: the command then runs itself again with it.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

if (typeof globalThis.WebSocket !== "function" && !process.execArgv.includes("--experimental-websocket")) {
  const child = spawn(process.execPath, [...process.execArgv, "--experimental-websocket", fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const { main } = await import("./cli.mjs");
  // The bot build, instantiated, with REST over node:http(s) (bot/node.mjs).
  const mod = await import("../bot/node.mjs");
  process.exitCode = await main(process.argv.slice(2), { mod });
}
