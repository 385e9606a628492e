#!/usr/bin/env bash
# Makes this machine ready to build and test rampwire-lp. Idempotent: installs only
# what is missing. Facts behind each step: ../shared/TOOLCHAIN.md.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export PATH="$HOME/.cargo/bin:$PATH"

# 1. Rust target for wasm (rust-toolchain.toml names it; this makes sure).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen CLI at exactly the Cargo.lock version (wasm-pack uses a PATH copy only then).
[ -f Cargo.lock ] || cargo generate-lockfile
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (found: ${have:-none})"
  # --locked first; one of its pinned dependencies is not always served, then resolve afresh.
  cargo install wasm-bindgen-cli --version "$want" --locked --force \
    || cargo install wasm-bindgen-cli --version "$want" --force
fi

# 3. wasm-pack from crates.io (the npm package downloads a binary: not reachable here).
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack"
  cargo install wasm-pack --locked || cargo install wasm-pack
fi

# 4. Headless Chromium and its driver, from Debian.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  say "installing chromium and chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 5. npm tools pinned in package-lock.json: binaryen (wasm-opt), miniflare, playwright-core, ws.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 6. The Python example bot's libraries (the spec page's own example is tested).
if ! python3 -c 'import websockets, httpx' 2>/dev/null; then
  say "installing websockets and httpx for the spec's Python example"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore websockets httpx
fi

say "ready"
