# landerd — common tasks. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 30s

.PHONY: all build image test deps vet fmt-check unit test-all fuzz bench bench-flatten demo clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/landerd ./cmd/landerd

# image: the container image (Dockerfile), with the same version stamp.
image:
	docker build --build-arg VERSION=$(VERSION) -t landerd:$(VERSION) .

# test: static checks, every test under the race detector (the end-to-end
# and real-system suites included), and a bounded fuzz run.
test: deps vet fmt-check test-all fuzz

# deps installs what the tests need beyond Go: DuckDB (through npm) as the
# independent reader of the lake, and a Compose CLI to validate
# docker-compose.yml (optional: that check is skipped without one).
deps:
	sh scripts/duckdb/install.sh
	sh scripts/deploy/install.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# unit: the fast loop: every package under the race detector except the
# end-to-end suite and the packages that start real systems.
SLOW_PKGS := github.com/landerd/landerd/internal/e2e github.com/landerd/landerd/internal/kafkacluster github.com/landerd/landerd/internal/minidfs
unit:
	$(GO) test -race -timeout 10m $$($(GO) list ./... | grep -vxF $(foreach p,$(SLOW_PKGS),-e $(p)))

test-all:
	$(GO) test -race -timeout 40m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./pkg/flatten

# bench-flatten: the hot path against the encoding/json baseline.
bench-flatten:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./pkg/flatten

# bench: the whole daemon against a bare sarama consumer, same topic, same run.
bench:
	$(GO) run ./bench -n 300000 -partitions 4

demo:
	$(GO) run ./cmd/landerd demo

clean:
	rm -rf bin lake
