#!/bin/sh
# install.sh installs Trino for the tests in test/system/trino: the server
# core (io.trino:trino-server-core, a tar.gz) and the Hive connector plugin
# (io.trino:trino-hive, a zip), both from Maven Central through Maven (so the
# downloads are kept in ~/.m2), unpacked into
# ${LANDERD_CACHE:-$HOME/.cache/landerd}/trino/trino-server-$VERSION with the
# plugin under plugin/hive. It prints the server's directory on stdout.
# Running it again when the server is unpacked changes nothing.
#
# Trino needs Java 24 or newer; TRINO_JAVA_HOME (default
# /usr/lib/jvm/temurin-25-jdk-amd64) is checked here and used by the tests.
set -eu

version=${TRINO_VERSION:-476}
cache=${LANDERD_CACHE:-$HOME/.cache/landerd}/trino
server=$cache/trino-server-$version
java_home=${TRINO_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

log() {
	printf 'trino install: %s\n' "$*" >&2
}

if [ ! -x "$java_home/bin/java" ]; then
	log "no Java at $java_home (Trino $version needs Java 24 or newer; set TRINO_JAVA_HOME)"
	exit 1
fi

if [ -f "$server/.landerd-complete" ]; then
	printf '%s\n' "$server"
	exit 0
fi

for tool in mvn tar unzip; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		log "$tool is missing"
		exit 1
	fi
done

mkdir -p "$cache"
work=$(mktemp -d "$cache/install.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "fetching io.trino:trino-server-core:$version:tar.gz and io.trino:trino-hive:$version:zip from Maven Central"
for artifact in "io.trino:trino-server-core:$version:tar.gz" "io.trino:trino-hive:$version:zip"; do
	mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
		-Dartifact="$artifact" -DoutputDirectory="$work/download" -Dmdep.overWriteIfNewer=true
done

log "unpacking into $server"
mkdir -p "$work/unpack"
tar -xzf "$work/download/trino-server-core-$version.tar.gz" -C "$work/unpack"
unpacked=$work/unpack/trino-server-core-$version
if [ ! -d "$unpacked" ]; then
	unpacked=$(find "$work/unpack" -mindepth 1 -maxdepth 1 -type d | head -n 1)
fi
mkdir -p "$work/hive"
unzip -q "$work/download/trino-hive-$version.zip" -d "$work/hive"
hive=$(find "$work/hive" -mindepth 1 -maxdepth 1 -type d | head -n 1)
mkdir -p "$unpacked/plugin"
rm -rf "$unpacked/plugin/hive"
mv "$hive" "$unpacked/plugin/hive"

rm -rf "$server"
mv "$unpacked" "$server"
touch "$server/.landerd-complete"
log "ok (Trino $version)"
printf '%s\n' "$server"
