#!/usr/bin/env bash
# Every test of the project: lint, native core and simulator tests, wasm-bindgen tests in
# Node and headless Chromium, then the optimised release package end to end in Node,
# Chromium and workerd against rampwire-sim. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false CHROMEDRIVER=/usr/bin/chromedriver
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup"
scripts/setup.sh

# Node 20 has a global WebSocket only behind a flag; Node 22+ has it on.
node_ws_flag=""
if node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)'; then :; else node_ws_flag="--experimental-websocket"; fi
export NODE_ARGS="$node_ws_flag"

step "format and lints (native and wasm32)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p rampwire-lp --target wasm32-unknown-unknown --all-targets --quiet -- -D warnings

step "native tests: core, simulator, the spec's example bots"
cargo test --workspace --quiet

step "wasm-bindgen tests in Node"
wasm-pack test --node -- --test wasm_node
step "wasm-bindgen tests in headless Chromium"
wasm-pack test --headless --chrome -- --test wasm_browser

step "release package (wasm-opt from npm binaryen)"
scripts/build-pkg.sh

step "release package end to end: Node, headless Chromium, workerd"
node $node_ws_flag --test --test-concurrency=1 tests/js/*.test.mjs
