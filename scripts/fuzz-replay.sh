#!/usr/bin/env bash
# Replays the wire crate's fuzz corpora (src/wire/fuzz/corpus/<target>/) through the fuzz
# targets' checks, without fuzzing. `make test` needs no extra step for this: its
# `cargo test --workspace` runs the same replay (src/core/tests/wire_tests.rs includes
# src/wire/fuzz/checks.rs, the checks the targets run), on the stable toolchain, in well
# under a second. This script runs just that replay; with --libfuzzer it also runs the
# real targets over their corpora (`cargo +nightly fuzz run TARGET corpus/TARGET --
# -runs=0`), which needs the nightly toolchain and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

cargo test --quiet -p rampwire-lp-core --lib fuzz_corpus

if [ "${1:-}" = "--libfuzzer" ]; then
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
  cd src/wire/fuzz
  for target in decode json_differential fast_paths; do
    cargo +nightly fuzz run "$target" "corpus/$target" -- -runs=0
  done
fi
