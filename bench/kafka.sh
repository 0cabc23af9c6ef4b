#!/bin/sh
# kafka.sh [PORT] starts one Apache Kafka broker (KRaft, broker and
# controller in one process) on 127.0.0.1:PORT (default 19092) for the
# benchmark harness, and runs until it gets SIGINT or SIGTERM, then stops
# the broker and removes its data:
#
#	bench/kafka.sh 19092 &
#	go run ./bench -brokers 127.0.0.1:19092
#	kill %1
#
# It installs Kafka ${KAFKA_VERSION:-4.1.0} with scripts/kafka/install.sh
# (cached in ${LANDERD_CACHE:-$HOME/.cache/landerd}) when missing. The
# broker gets a 1 GiB heap and the same small thread counts as the test
# clusters (test/system/kafkacluster).
set -eu

port=${1:-19092}
ctrl=$((port + 1))
version=${KAFKA_VERSION:-4.1.0}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cache=${LANDERD_CACHE:-$HOME/.cache/landerd}
kafka=$cache/kafka-$version

"$here/../scripts/kafka/install.sh" "$version"
command -v java >/dev/null 2>&1 || { echo "kafka.sh: java not found" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/landerd-bench-kafka.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctrl
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctrl
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
PROPS

# jvm HEAP CLASS ARGS... replaces the calling (sub)shell with java, so that
# a broker started in the background is the process "$!" names.
jvm() {
	heap=$1
	shift
	exec java -Xmx"$heap" -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$kafka/config/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
		-cp "$kafka/libs/*" "$@"
}

id=$(jvm 256m kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
case $id in -*) id=A${id#?} ;; esac # a leading '-' would read as an option
(jvm 256m kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" --ignore-formatted) >"$dir/format.log" 2>&1 ||
	{ cat "$dir/format.log" >&2; exit 1; }
(jvm 1g kafka.Kafka "$dir/server.properties") >"$dir/stdout.log" 2>&1 &
pid=$!
echo "kafka.sh: Apache Kafka $version starting on 127.0.0.1:$port (logs in $dir)" >&2
wait "$pid"
