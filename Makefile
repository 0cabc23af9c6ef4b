# landerd — common tasks. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 30s
# The Apache Kafka releases the tests run: kafkacluster.DefaultVersion and CompatVersion.
KAFKA_VERSIONS := 4.1.0 3.9.2

.PHONY: all build image test deps vet fmt-check unit fuzz bench bench-flatten demo clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/landerd ./cmd/landerd

# image: the container image (Dockerfile), with the same version stamp.
image:
	docker build --build-arg VERSION=$(VERSION) -t landerd:$(VERSION) .

# test: static checks, every test under the race detector, and a bounded fuzz run.
test: deps vet fmt-check unit fuzz

# deps installs what the tests need beyond Go: DuckDB (through npm) as the
# independent reader of the lake, a Compose CLI to validate
# docker-compose.yml (optional: that check is skipped without one), and the
# Apache Kafka releases internal/kafkacluster starts (through Maven, cached
# in ${LANDERD_CACHE:-$HOME/.cache/landerd}), Debian's Prometheus for the
# dashboard check and Trino (through Maven) for the shipped Trino SQL.
deps:
	sh scripts/duckdb/install.sh
	sh scripts/kdc/install.sh
	sh scripts/deploy/install.sh
	for v in $(KAFKA_VERSIONS); do sh scripts/kafka/install.sh $$v || exit 1; done
	sh scripts/prometheus/install.sh
	sh scripts/trino/install.sh >/dev/null

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
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
