# The project's commands. Each installs what it needs on a fresh clone first.
SHELL := /bin/bash
# onnxruntime-node's install script would fetch CUDA files; the CPU binaries ship in the package.
export ONNXRUNTIME_NODE_INSTALL := skip

STAMP := node_modules/.install-stamp

.PHONY: install test typecheck run bench clean

install: $(STAMP)

$(STAMP): package.json package-lock.json $(wildcard */package.json)
	npm ci
	@touch $@

## test: type-check everything, then run every test
test: install typecheck
	npx mocha '{wire,verifier,enclave,host,client,contracts}/src/**/*.test.ts'

typecheck: install
	npx tsc -p tsconfig.json

## run: the main job on embedded defaults
run: install
	npx tsx scripts/run.ts

## bench: every benchmark (*.bench.ts), one after another; BENCH=word runs the matching ones
bench: install
	npx tsx scripts/bench.ts $(BENCH)

clean:
	rm -rf build .data
