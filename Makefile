# gitcanary: the two commands a newcomer needs are `make demo` and `make test`.
GO       ?= go
BIN      ?= bin/gitcanary
PKGS     ?= ./...
GOFLAGS  ?=
export GOTOOLCHAIN = local

.PHONY: all build demo test unit e2e lint fuzz fuzz-ci bench deps-test clean image image-bin image-tar tidy-check

all: build

## build: the binary, with the module version and commit it is built from
## (`gitcanary version`).
build:
	$(GO) build -buildvcs=true -o $(BIN) ./cmd/gitcanary

## demo: the whole GitOps loop on this machine, nothing to install but Go.
demo: build
	$(BIN) demo

## test: everything CI runs. First every test but the end-to-end ones under the
## race detector; then all of them, end-to-end included (the simulated-cluster
## scenarios against the embedded engine and a real Prometheus server), without
## it: they are timed by canary intervals, which the race detector would stretch.
## Last, every fuzz target searches for a few seconds (fuzz-ci).
## One package at a time (-p 1): several timing tests (load rates, latencies)
## would otherwise share the 2 cores with the end-to-end scenarios. The
## end-to-end package (fixtures/demo) takes about 17 minutes by itself, most
## of it canary intervals: its timeout leaves room for a slower machine.
test: deps-test
	$(GO) vet $(PKGS)
	$(GO) test -race -short -count=1 -p 1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -p 1 -parallel 8 -timeout 30m $(PKGS)
	$(MAKE) --no-print-directory fuzz-ci

## e2e: the end-to-end scenarios only (simulated cluster; embedded engine and real Prometheus;
## the web UI in Chromium).
e2e: deps-test
	$(GO) test -count=1 -parallel 8 -run 'TestScenarios|TestEndToEnd|TestBrowser' ./fixtures/demo ./cmd/gitcanary ./reconciler/ui

## unit: the fast tests only (no Prometheus server).
unit:
	$(GO) test -short -count=1 $(PKGS)

## deps-test: install what the tests need (Debian's prometheus and chromium), or say what to install.
deps-test:
	@.ci/ensure-test-deps.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

## fuzz: run every fuzz target of the module (each `func Fuzz...` of a
## _test.go file, found anew each time) for FUZZTIME, one after the other.
FUZZTIME ?= 30s
fuzz:
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
	  pkg=$$(dirname $$file); \
	  for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
	    echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME); \
	  done; \
	done

## fuzz-ci: every fuzz target for a short search, as `make test` runs them: the
## seeds and the failures kept in testdata/fuzz always run (plain `go test`
## does that too); this adds a search for new inputs on every run. The budget
## is a count of executions, not a duration: Go 1.26's fuzzing coordinator can
## fail a target with a bare "context deadline exceeded" when a duration ends
## while a worker is busy (go.dev/issue/75804, fixed in Go 1.27).
FUZZCITIME ?= 300x
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZCITIME)

## bench: gitcanary next to the git CLI on a generated monorepo (1,000
## canaries, 20,000 commits; BENCH_FLAGS=-growth for 100/5,000 canaries and
## 2k/200k commits), failing on a ratio 20% above cmd/gitcanary-bench/baseline.json;
## then the micro-benchmarks.
BENCH_FLAGS ?=
bench:
	$(GO) build -o bin/gitcanary-bench ./cmd/gitcanary-bench
	bin/gitcanary-bench -baseline cmd/gitcanary-bench/baseline.json $(BENCH_FLAGS)
	$(GO) test -run '^$$' -bench . -benchmem ./reconciler/ ./gitops/

## image-bin: the image's binary: static (no cgo), without the demo (-tags
## nodemo), stripped.
IMAGE     ?= ghcr.io/gitcanary/gitcanary:dev
IMAGE_BIN ?= bin/image/gitcanary
VERSION   ?= dev
image-bin:
	CGO_ENABLED=0 $(GO) build -tags nodemo -trimpath -buildvcs=true -ldflags='-s -w' -o $(IMAGE_BIN) ./cmd/gitcanary

## image-tar: the image without a container daemon (image/, go-containerregistry):
## bin/gitcanary-image.tar, for `docker load -i` or `podman load -i`.
image-tar: image-bin
	$(GO) run ./image -binary $(IMAGE_BIN) -tag $(IMAGE) -version $(VERSION) -o bin/gitcanary-image.tar

## image: the Dockerfile, built with docker or podman when one runs here; else image-tar.
image:
	@for tool in docker podman; do \
	  if command -v $$tool >/dev/null && $$tool info >/dev/null 2>&1; then \
	    echo "$$tool build -t $(IMAGE) ."; exec $$tool build --build-arg VERSION=$(VERSION) -t $(IMAGE) .; \
	  fi; \
	done; \
	echo "no running docker or podman: assembling the image without a daemon (make image-tar)"; \
	$(MAKE) --no-print-directory image-tar

## tidy-check: go.mod and go.sum are what `go mod tidy` makes them.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

clean:
	rm -rf bin
