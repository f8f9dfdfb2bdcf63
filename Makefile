# trailkit's build and test entry points. `make test` is what CI runs.

MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TOOLS         := $(HOME)/.cache/trailkit/bin
MINIO         := $(TOOLS)/minio
FUZZTIME      ?= 5s
TESTFLAGS     ?=

# MODULES are the Go modules of the repository, as directories; make test,
# make race and make check run in each. A new module (one with heavy or cgo
# dependencies kept out of the main module) is added here.
MODULES := . internal/duckdbtest

# PKGS are the packages of a module that the go command is given: ./...
# plus internal/testdata, which ./... leaves out because of its name.
PKGS = ./... $$(test -d internal/testdata && echo ./internal/testdata)

# inmodules runs a shell command in each module and fails at the end if it
# failed in any.
inmodules = fail=; for m in $(MODULES); do echo "== module $$m"; (cd $$m && $(1)) || fail="$$fail $$m"; done; \
	if [ -n "$$fail" ]; then echo "failed in:$$fail"; exit 1; fi

.PHONY: test race deps tools check generate-check fuzz bench

# test runs every test of every module (TESTFLAGS=-v to see each). It
# installs nothing outside the user's cache: MinIO is built into $(TOOLS)
# when missing. The AWS CLI and moto are checked first: tests that need a
# missing one fail, naming it and `make deps`.
test: $(MINIO) tools
	@$(call inmodules,go test -count=1 -timeout 30m $(TESTFLAGS) $(PKGS))

# race runs the tests of every package that starts goroutines or shares
# memory between them (it uses go statements, sync or testing/synctest)
# under the race detector. Packages without any are left out: the detector
# has nothing to see there. It runs with -short: the few tests that replay
# days of records, loop over crashes or drive the AWS CLI skip themselves
# (they run in make test, un-skipped), because under the detector they cost
# minutes each while the goroutines they run are the ones the cheaper tests
# of the same package already run.
CONCURRENT := '^[[:space:]]+go [A-Za-z_(]|"sync"|"sync/atomic"|"testing/synctest"'
race: $(MINIO) tools
	@$(call inmodules,go test -race -short -count=1 -timeout 20m $(TESTFLAGS) $$(for d in $$(go list -f '{{.Dir}}' $(PKGS)); do \
	  grep -qE $(CONCURRENT) $$d/*.go && go list $$d; done))

# tools reports the test tools that are missing and how to install them.
# It changes nothing.
tools:
	@python3 -c "import awscli" 2>/dev/null || echo "warning: the AWS CLI for Python (awscli 1.x) is missing: tests that validate with it will fail. Install it with 'make deps' (apt, needs root) or 'python3 -m pip install --user awscli'."
	@command -v moto_server >/dev/null 2>&1 || echo "warning: moto_server (moto's server mode) is missing: tests against SNS, SQS, EventBridge, KMS and CloudWatch Logs will fail. Install it with 'make deps' (apt, needs root) or 'python3 -m pip install --user \"moto[server]\"'."

# deps installs, on purpose, the system packages the tests use when Python
# lacks them: the AWS CLI and moto's server mode, from Debian's packages
# (with sudo unless run as root). make test never runs it.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps: $(MINIO)
	@python3 -c "import awscli" 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq awscli; }
	@command -v moto_server >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-moto; }
	@$(MAKE) --no-print-directory tools

# MinIO is built from the Go module proxy once, into the user's cache.
$(MINIO):
	GOBIN=$(TOOLS) go install github.com/minio/minio@$(MINIO_VERSION)

# check is the static part of CI: generated files current, formatting, vet
# and staticcheck (run from the Go module proxy at a fixed version; it is a
# tool, not a dependency).
check: generate-check
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(call inmodules,go vet $(PKGS) && go run $(STATICCHECK) $(PKGS))

# generate-check fails when a generated file ("Code generated ... DO NOT
# EDIT.") differs from what go generate writes from the tree's tables.
generate-check:
	go generate ./...
	@gen=$$(git ls-files -co --exclude-standard -- '*.go' | xargs grep -l '^// Code generated .* DO NOT EDIT\.$$'); \
	if ! git diff --exit-code -- $$gen || [ -n "$$(git ls-files -o --exclude-standard -- $$gen)" ]; then \
	  echo "generated files are not current or not added: run go generate ./... and add them"; exit 1; fi

# fuzz runs every fuzz target of the module for FUZZTIME each. Each
# package's test binary is built once, instrumented for fuzzing, and run
# for each of its targets from the package's directory (for its
# testdata/fuzz corpus), with the cache directory go test -fuzz uses;
# .ci/fuzz-target says which failures it retries once, and why.
fuzz:
	@set -e; bin=$$(mktemp -d); trap 'rm -rf "$$bin"' EXIT; cache=$$(go env GOCACHE)/fuzz; \
	for pkg in $$(go list ./...); do \
	  dir=$$(go list -f '{{.Dir}}' $$pkg); \
	  targets=$$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); \
	  [ -n "$$targets" ] || continue; \
	  go test -c -fuzz . -o $$bin/fuzz.test $$pkg; \
	  for f in $$targets; do \
	    echo "fuzz $$pkg $$f"; \
	    .ci/fuzz-target $$bin/fuzz.test $$dir $$f $(FUZZTIME) $$cache/$$pkg; \
	  done; \
	done

# bench runs the benchmarks at their default (quick) sizes.
bench:
	go test -run '^$$' -bench . -benchtime 1x ./...
