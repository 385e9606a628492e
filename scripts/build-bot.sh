#!/usr/bin/env bash
# Builds the bot build of the package into pkg/bot/ (LpClient and BotEngine in one module,
# `--features bot`; only the bot drivers load it) and copies the drivers into pkg/drivers/.
# Run after scripts/build-pkg.sh (which starts pkg/ afresh). Its own target directory,
# so the client's build (and its analysis by `make bench`) stays as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="$PWD/target/bot"
cargo build --quiet --release --target wasm32-unknown-unknown -p rampwire-lp --features bot
rm -rf pkg/bot pkg/drivers
wasm-bindgen --target web --out-dir pkg/bot --out-name rampwire_lp_bot "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/rampwire_lp.wasm"
flags=$(node -e 'const t=require("fs").readFileSync("Cargo.toml","utf8");process.stdout.write(JSON.parse(t.match(/^wasm-opt = (\[.*\])$/m)[1]).join(" "))')
# shellcheck disable=SC2086
wasm-opt $flags pkg/bot/rampwire_lp_bot_bg.wasm -o pkg/bot/rampwire_lp_bot_bg.wasm
mkdir -p pkg/drivers
cp src/drivers/*.mjs pkg/drivers/
cp src/js/node-http.js pkg/drivers/node-http.js
# Its entries: Workers (the .wasm imported compiled) and Node (read and instantiated).
cp src/js/entries/bot-workerd.js pkg/bot/workerd.js
cp src/js/entries/bot-node.mjs pkg/bot/node.mjs
chmod +x pkg/drivers/bin.mjs
