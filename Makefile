# gitcanary: the two commands a newcomer needs are `make demo` and `make test`.
GO       ?= go
BIN      ?= bin/gitcanary
PKGS     ?= ./...
GOFLAGS  ?=
export GOTOOLCHAIN = local

.PHONY: all build demo test unit e2e lint fuzz fuzz-ci bench deps-test clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gitcanary

## demo: the whole GitOps loop on this machine, nothing to install but Go.
demo: build
	$(BIN) demo

## test: everything CI runs. First every test but the end-to-end ones under the
## race detector; then all of them, end-to-end included (the simulated-cluster
## scenarios against the embedded engine and a real Prometheus server), without
## it: they are timed by canary intervals, which the race detector would stretch.
## Last, every fuzz target searches for a few seconds (fuzz-ci).
## One package at a time (-p 1): several timing tests (load rates, latencies)
## would otherwise share the 2 cores with the end-to-end scenarios.
test: deps-test
	$(GO) vet $(PKGS)
	$(GO) test -race -short -count=1 -p 1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -p 1 -parallel 8 -timeout 20m $(PKGS)
	$(MAKE) --no-print-directory fuzz-ci

## e2e: the end-to-end scenarios only (simulated cluster; embedded engine and real Prometheus).
e2e: deps-test
	$(GO) test -count=1 -parallel 8 -run 'TestScenarios|TestEndToEnd' ./fixtures/demo ./cmd/gitcanary

## unit: the fast tests only (no Prometheus server).
unit:
	$(GO) test -short -count=1 $(PKGS)

## deps-test: install what the tests need (Debian's prometheus), or say what to install.
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

## fuzz-ci: every fuzz target for a few seconds, as `make test` runs them: the
## seeds and the failures kept in testdata/fuzz always run (plain `go test`
## does that too); this adds a short search for new inputs on every run.
FUZZCITIME ?= 3s
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZCITIME)

## bench: benchmarks (idle pass, snapshot reads, render).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./reconciler/ ./gitops/

clean:
	rm -rf bin
