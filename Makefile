# Entry points. README's two commands: `make demo` and `make test`.
.PHONY: setup demo test pkg bench

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
