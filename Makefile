# The project's commands. Each installs what it needs on a fresh clone first.
SHELL := /bin/bash
# onnxruntime-node's install script would fetch CUDA files; the CPU binaries ship in the package.
export ONNXRUNTIME_NODE_INSTALL := skip

STAMP := node_modules/.install-stamp

.PHONY: install test typecheck run bench bench-data clean measure enclave-image

install: $(STAMP)

$(STAMP): package.json package-lock.json $(wildcard */package.json)
	npm ci
	@touch $@

## test: type-check everything, then run every test
test: install typecheck
	npx mocha '{wire,verifier,enclave,host,client,contracts}/src/**/*.test.ts' 'scripts/**/*.test.ts'

typecheck: install
	npx tsc -p tsconfig.json

## run: the main job on embedded defaults
run: install
	npx tsx scripts/run.ts

## bench: every benchmark (*.bench.ts), one after another; BENCH=word runs the matching ones
bench: install bench-data
	npx tsx scripts/bench.ts $(BENCH)

# Real speech and codecs for the audio benchmarks (Debian packages), installed when missing;
# without apt the benchmarks fall back to the repository's small fixtures.
BENCH_DEBS := asterisk-core-sounds-en-wav alsa-utils opus-tools sox
bench-data:
	@missing=""; for p in $(BENCH_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo=sudo; \
	  $$sudo apt-get install -y $$missing || { $$sudo apt-get update && $$sudo apt-get install -y $$missing; } || echo "bench: could not install$$missing"; \
	fi

clean:
	rm -rf build .data

## measure: a clean, deterministic build of the enclave bundle into build/enclave; prints its dev PCR0
measure: install
	rm -rf build/enclave
	npx tsx enclave/build.ts --out build/enclave

## enclave-image: the enclave Docker image and its EIF (needs docker and nitro-cli, on a Nitro-enabled EC2 instance)
ENCLAVE_IMAGE ?= audata-enclave:dev
enclave-image: measure
	docker build -f Dockerfile.enclave -t $(ENCLAVE_IMAGE) .
	mkdir -p build
	nitro-cli build-enclave --docker-uri $(ENCLAVE_IMAGE) --output-file build/audata.eif
