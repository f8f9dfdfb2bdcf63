# trailkit's build and test entry points. `make test` is what CI runs.

MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TOOLS         := $(HOME)/.cache/trailkit/bin
MINIO         := $(TOOLS)/minio
FUZZTIME      ?= 5s

.PHONY: test deps check fuzz bench

# test installs what the tests need, then runs every test of the module.
test: deps
	go test -count=1 -timeout 30m ./...

# deps installs the real servers and tools the tests run against: MinIO
# (built from the Go module proxy once, then cached), and the AWS CLI and
# moto's server mode from Debian's packages when Python lacks them.
deps: $(MINIO)
	@python3 -c "import awscli" 2>/dev/null || { apt-get update -qq && apt-get install -y -qq awscli; }
	@command -v moto_server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-moto; }

$(MINIO):
	GOBIN=$(TOOLS) go install github.com/minio/minio@$(MINIO_VERSION)

# check is the static part of CI: formatting, vet and staticcheck (run from
# the Go module proxy at a fixed version; it is a tool, not a dependency).
check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...

# fuzz runs every fuzz target of the module for FUZZTIME each.
fuzz:
	@set -e; for pkg in $$(go list ./...); do \
	  dir=$$(go list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$f"; \
	    go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# bench runs the benchmarks at their default (quick) sizes.
bench:
	go test -run '^$$' -bench . -benchtime 1x ./...
