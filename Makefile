# gostree: `make demo` shows the main job, `make test` runs every test.
GO       ?= go
BIN      := bin/gostree
PKGS     := ./...

.PHONY: help build demo test unit conformance interop fuzz bench check deps clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/gostree and its bin/ostree alias
	$(GO) build -o $(BIN) ./cmd/gostree
	ln -sf gostree bin/ostree

demo: build ## commit, inspect, check out, serve and verify a sample tree; pull through a static delta; deploy, upgrade and roll back a sysroot
	scripts/demo.sh $(BIN)

deps: ## install the test dependencies (as root, when missing)
	scripts/test-deps.sh

test: deps build ## unit, interop and conformance tests
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)
	tests/conformance/run.sh $(BIN)

unit: ## unit and interop tests only
	$(GO) test $(PKGS)

conformance: build ## the libostree test files we must pass
	tests/conformance/run.sh $(BIN)

fuzz: ## run each fuzz target briefly
	scripts/fuzz.sh 20s

bench: build ## compare with the reference ostree on Debian trees
	bench/mktrees.sh
	GOSTREE=$(CURDIR)/$(BIN) bench/run.sh

check: ## formatting and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff

clean:
	rm -rf bin conformance-logs
