# landerd — common tasks. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 30s
# The Apache Kafka releases the tests run: kafkacluster.DefaultVersion and CompatVersion.
KAFKA_VERSIONS := 4.1.0 3.9.2

.PHONY: all build image test deps vet fmt-check unit test-all fuzz pytest notebook bench bench-flatten bench-encode bench-kafka bench-compact soak demo diagram clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/landerd ./cmd/landerd

# image: the container image (Dockerfile), with the same version stamp.
image:
	docker build --build-arg VERSION=$(VERSION) -t landerd:$(VERSION) .

# test: static checks, every Go test under the race detector (the end-to-end
# and real-system suites included), a bounded fuzz run, and the Python suites
# (Spark over the lake, the notebook).
test: deps vet fmt-check test-all fuzz pytest

# deps installs what the tests need beyond Go: DuckDB (through npm) as the
# independent reader of the lake, a Compose CLI to validate
# docker-compose.yml (optional: that check is skipped without one), the
# Apache Kafka releases test/system/kafkacluster starts and Apache HDFS (a
# MiniDFSCluster), both through Maven and cached in
# ${LANDERD_CACHE:-$HOME/.cache/landerd}, Debian's Prometheus for the
# dashboard check, Trino (through Maven) for the shipped Trino SQL, Debian's
# PostgreSQL server for test/system/postgres, the Python virtualenv with
# pyspark for the Spark checks and the notebook, and a second one for the
# Iceberg readers (pyspark 4.1 with the Iceberg Spark runtime and the
# PostgreSQL driver through Maven, pyiceberg, DuckDB's iceberg extension).
deps:
	sh scripts/duckdb/install.sh
	sh scripts/kdc/install.sh
	sh scripts/deploy/install.sh
	for v in $(KAFKA_VERSIONS); do sh scripts/kafka/install.sh $$v || exit 1; done
	sh scripts/hdfs/install.sh
	sh scripts/prometheus/install.sh
	sh scripts/trino/install.sh >/dev/null
	sh scripts/postgres/install.sh >/dev/null
	sh scripts/python/install.sh
	sh scripts/python/install-iceberg.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# unit: the fast loop, selected by the layout: the product (cmd, pkg,
# internal), the benchmarks' packages and the fast test kit (test/kit),
# under the race detector and -short (the tests that land or generate many
# records take fewer; test-all runs them at full size). Left out: test/system
# (harnesses that start Apache Kafka, Apache HDFS, a KDC, Prometheus, Trino,
# DuckDB, PostgreSQL) and the suites beside it (test/e2e, test/isolation).
UNIT_PKGS := ./cmd/... ./pkg/... ./internal/... ./bench/... ./test/kit/...
unit:
	$(GO) test -race -short -timeout 10m $(UNIT_PKGS)

test-all:
	$(GO) test -race -timeout 40m ./...

# fuzz: the decoder under the fuzzer. Each input that reaches new code is
# shrunk for at most 2 s (the default, 60 s, stops all fuzzing while it
# shrinks, and took most of a 30 s run: 59k inputs in 20 s, 172k with 2 s).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./pkg/flatten

# pytest: Spark (pyspark, in a venv under $${LANDERD_CACHE:-~/.cache/landerd})
# reads the lake, runs sql/spark and the notebook; ruff checks the Python,
# docs/iceberg's snippets included.
pytest:
	sh scripts/python/install.sh
	cd python && ../scripts/python/py -m ruff check . ../notebooks ../docs/iceberg
	cd python && ../scripts/python/py -m ruff format --check . ../notebooks ../docs/iceberg
	cd python && ../scripts/python/py -m pytest

# notebook: run notebooks/assessments.ipynb headless against LAKE (a path,
# file:// or hdfs:// URL); writes notebook-out/assessments.html (charts
# embedded), the executed notebook and answers.json. TENANT=<name> reads one
# tenant of a multi-tenant lake (docs/tenants.md).
LAKE ?= lake
notebook:
	sh scripts/python/install.sh
	scripts/python/py -m landerd_lake.notebook --lake '$(LAKE)' $(if $(TENANT),--tenant '$(TENANT)') --out notebook-out

# bench-flatten: the hot path against the encoding/json baseline.
bench-flatten:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./pkg/flatten

# bench: the whole daemon against a bare sarama consumer, same topic, same
# run, with lake.format hive and iceberg (hadoop catalog) interleaved.
bench:
	$(GO) run ./bench -n 300000 -partitions 4 -runs 3

# bench-encode: flattening plus Parquet encoding per writer setting, CPU
# seconds per 100k attempts included. Five rounds, each running every
# setting once, so that the settings are compared within the same minutes
# (the machine's speed drifts); take each setting's median.
bench-encode:
	$(GO) test -c -o bin/lander.test ./internal/lander
	cd internal/lander && for i in 1 2 3 4 5; do \
		../../bin/lander.test -test.run '^$$' -test.bench Encode -test.benchtime 20x || exit 1; \
	done

# bench-compact: a day of flushes at the default roll (12 partitions, 5 min:
# 3,456 small files in attempts) landed into Iceberg tables on PostgreSQL,
# the seven questions timed in Spark and Trino, `landerd compact` measured,
# the questions timed again in the same engines. Starts PostgreSQL, Trino
# and a Spark session itself (bench/compactday.go). Not part of test.
bench-compact:
	$(GO) run ./bench compact-day

# bench-kafka: bench against a single-node Apache Kafka broker started by
# bench/kafka.sh on port BENCH_KAFKA_PORT and stopped afterwards.
BENCH_KAFKA_PORT ?= 19092
bench-kafka:
	bench/kafka.sh $(BENCH_KAFKA_PORT) & pid=$$!; \
	$(GO) run ./bench -n 300000 -partitions 4 -runs 3 -brokers 127.0.0.1:$(BENCH_KAFKA_PORT); rc=$$?; \
	kill $$pid; wait $$pid; exit $$rc

# soak: the daemon (built from ./cmd/landerd) for SOAK_DURATION against
# Apache Kafka (three brokers) and Apache HDFS (a MiniDFSCluster of three
# DataNodes) while DataNodes and brokers are stopped and restarted; fails
# when the lake is not exactly once or the daemon's goroutines, RSS or open
# files grow (bench/soak/doc.go, docs/testing.md#soak). Not part of test.
# SOAK_FLAGS passes more flags, e.g. SOAK_FLAGS=-keep.
SOAK_DURATION ?= 20m
SOAK_FLAGS ?=
soak:
	$(GO) run ./bench/soak -duration $(SOAK_DURATION) $(SOAK_FLAGS)

demo:
	$(GO) run ./cmd/landerd demo

# diagram: render docs/architecture.dot into docs/img/architecture.svg and
# .png with Graphviz, installed by scripts/diagram/install.sh when missing.
diagram:
	sh scripts/diagram/install.sh
	dot -Tsvg docs/architecture.dot -o docs/img/architecture.svg
	dot -Tpng -Gdpi=96 docs/architecture.dot -o docs/img/architecture.png

clean:
	rm -rf bin lake
