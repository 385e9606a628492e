# Entry points. README's two commands: `make demo` and `make test`.
.PHONY: setup demo test pkg bench soak

setup:
	scripts/setup.sh

demo: setup
	scripts/demo.sh

test:
	scripts/test.sh

pkg: setup
	scripts/build-pkg.sh

bench: pkg
	command -v twiggy >/dev/null || cargo install twiggy --locked --quiet
	cargo build --quiet --release -p rampwire-sim
	node $$(node -e 'process.stdout.write(typeof WebSocket === "function" ? "" : "--experimental-websocket")') tests/bench/run.mjs

# The bot engine's deterministic simulation at length: SOAK_SEEDS seeds (default 100,000;
# a failing seed prints itself and replays with SEED=n).
soak:
	cargo test -p rampwire-lp-bot --release -- --ignored soak --nocapture
