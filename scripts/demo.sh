#!/usr/bin/env bash
# The main job: build the package and the simulator, then run simulator + dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
scripts/build-pkg.sh
cargo build --quiet -p rampwire-sim
exec node scripts/demo.mjs
