# gostree: `make demo` shows the main job, `make test` runs every test.
GO       ?= go
BIN      := bin/gostree
PKGS     := ./...
# Static binaries: gostree-prepare-root runs in an initramfs, gostree in
# minimal images; nothing here needs cgo.
export CGO_ENABLED := 0
# The boot tests run qemu guests; they get their own step and time limit.
# The libostree 2025.2 interop tests run after its conformance run, which
# builds the Debian 13 root they share.
UNIT_PKGS = $$($(GO) list ./... | grep -v -e /tests/boot -e /tests/interop2025)

.PHONY: help build demo test unit conformance interop fuzz bench check deps clean install boot-test bench-boot

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build the static bin/gostree (and its bin/ostree alias) and bin/gostree-prepare-root
	$(GO) build -o $(BIN) ./cmd/gostree
	ln -sf gostree bin/ostree
	$(GO) build -trimpath -ldflags="-s -w" -o bin/gostree-prepare-root ./cmd/gostree-prepare-root

install: build ## install binaries, systemd units, dracut and initramfs-tools hooks (DESTDIR=... to stage)
	scripts/install.sh $(DESTDIR)

demo: build ## commit, inspect, check out, serve and verify a sample tree; pull through a static delta; deploy, upgrade and roll back a sysroot
	scripts/demo.sh $(BIN)

deps: ## install the test dependencies (as root, when missing)
	scripts/test-deps.sh

test: deps build ## unit, interop, boot and conformance (libostree 2022.7 and 2025.2) tests
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(UNIT_PKGS)
	$(MAKE) boot-test
	tests/conformance/run.sh $(BIN)
	tests/conformance/run-2025.sh $(BIN)
	$(GO) test -count=1 -timeout 30m ./tests/interop2025

boot-test: ## boot deployments in qemu (TCG): prepare-root, health checks, GRUB fallback
	scripts/boot-deps.sh
	$(GO) test -count=1 -timeout 40m -v ./tests/boot

unit: ## unit and interop tests only (interop2025 needs root and builds a Debian 13 root)
	$(GO) test $(UNIT_PKGS) ./tests/interop2025

conformance: build ## the libostree 2022.7 and 2025.2 test files we must pass
	tests/conformance/run.sh $(BIN)
	tests/conformance/run-2025.sh $(BIN)

fuzz: ## run each fuzz target briefly
	scripts/fuzz.sh 20s

bench-boot: build ## in-guest prepare-root timing against the reference's (root, qemu)
	bench/boot.sh

bench: build ## compare with the reference ostree on Debian trees
	bench/mktrees.sh
	GOSTREE=$(CURDIR)/$(BIN) bench/run.sh

check: ## formatting and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff

clean:
	rm -rf bin conformance-logs
