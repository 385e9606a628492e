#!/usr/bin/env bash
# Builds the optimised release package into pkg/ (wasm-pack --target web), with the
# npm binaryen wasm-opt first on PATH (Debian's breaks wasm-bindgen output), then
# completes pkg/package.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Panic locations name source files: shorten their paths (bytes shipped, and no paths of
# this machine in the package).
remap="--remap-path-prefix=$PWD=. --remap-path-prefix=$(rustc -vV | sed -n 's/^commit-hash: /\/rustc\//p')=rust"
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do remap="$remap --remap-path-prefix=${d%/}=crates"; done
export RUSTFLAGS="${RUSTFLAGS:-} $remap"
log=$(mktemp)
# wasm-pack leaves files of earlier builds (e.g. a renamed snippet) in place: start clean.
rm -rf pkg
if ! wasm-pack build --target web --release >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
grep -E "^(error|warning)(\[|:)" "$log" | grep -v "failed to get wasm-pack version" || true
rm -f "$log"
node scripts/pkg-manifest.mjs
# The repository resolves `rampwire-lp` to pkg/ as an installed package would (exports and
# conditions): edge/bot.mjs imports it so, and wrangler, the tests and the README's
# snippets with it. (npm ci removes the link; every build makes it again.)
mkdir -p node_modules
ln -sfn ../pkg node_modules/rampwire-lp
# The bot build (BotEngine beside LpClient) and the drivers: pkg/bot/, pkg/drivers/.
scripts/build-bot.sh
