#!/bin/sh
# install.sh installs Trino for the tests in test/system/trino: the server
# core (io.trino:trino-server-core, a tar.gz) and the Hive and Iceberg
# connector plugins (io.trino:trino-hive and io.trino:trino-iceberg, zips),
# all from Maven Central through Maven (so the downloads are kept in ~/.m2),
# unpacked into ${LANDERD_CACHE:-$HOME/.cache/landerd}/trino/trino-server-$VERSION
# with the plugins under plugin/hive and plugin/iceberg. It prints the
# server's directory on stdout. Running it again when the server and every
# plugin are unpacked changes nothing; a server unpacked before a plugin
# was added here gets only the missing plugin.
#
# The Iceberg plugin's HDFS file system (fs.hadoop.enabled=true) loads its
# jars from plugin/iceberg/hdfs, which the plugin's zip lacks: Trino's
# server build adds them, and io.trino:trino-hdfs is not published for
# every version (not 476). They are taken from the full server tarball,
# io.trino:trino-server (821 MB for 476, kept in ~/.m2 like the rest), of
# which only that folder is kept.
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

# The connector plugins, each unpacked to plugin/<name> from io.trino:trino-<name>.
plugins="hive iceberg"

installed() {
	[ -f "$server/.landerd-complete" ] || return 1
	for p in $plugins; do
		[ -d "$server/plugin/$p" ] || return 1
	done
	[ -f "$server/plugin/iceberg/hdfs/.landerd-complete" ]
}
if installed; then
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

fetch() {
	mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
		-Dartifact="$1" -DoutputDirectory="$work/download" -Dmdep.overWriteIfNewer=true
}

# plugin NAME DIR fetches io.trino:trino-NAME's zip and moves its one
# top-level folder to DIR/plugin/NAME.
plugin() {
	log "fetching io.trino:trino-$1:$version:zip from Maven Central"
	fetch "io.trino:trino-$1:$version:zip"
	mkdir -p "$work/$1"
	unzip -q "$work/download/trino-$1-$version.zip" -d "$work/$1"
	top=$(find "$work/$1" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	mkdir -p "$2/plugin"
	rm -rf "$2/plugin/$1"
	mv "$top" "$2/plugin/$1"
}

# hdfs DIR unpacks the Iceberg plugin's HDFS jars, plugin/iceberg/hdfs of
# the full server tarball, into DIR/plugin/iceberg/hdfs.
hdfs() {
	log "fetching io.trino:trino-server:$version:tar.gz from Maven Central for plugin/iceberg/hdfs"
	fetch "io.trino:trino-server:$version:tar.gz"
	mkdir -p "$work/full"
	# Whole: the tarball stores duplicate jars as hard links to other folders.
	tar -xzf "$work/download/trino-server-$version.tar.gz" -C "$work/full"
	rm -f "$work/download/trino-server-$version.tar.gz"
	rm -rf "$1/plugin/iceberg/hdfs"
	mv "$work/full/trino-server-$version/plugin/iceberg/hdfs" "$1/plugin/iceberg/hdfs"
	rm -rf "$work/full"
	touch "$1/plugin/iceberg/hdfs/.landerd-complete"
}

if [ -f "$server/.landerd-complete" ]; then
	for p in $plugins; do
		if [ ! -d "$server/plugin/$p" ]; then
			plugin "$p" "$server"
		fi
	done
	if [ ! -f "$server/plugin/iceberg/hdfs/.landerd-complete" ]; then
		hdfs "$server"
	fi
	log "ok (Trino $version, plugins added)"
	printf '%s\n' "$server"
	exit 0
fi

log "fetching io.trino:trino-server-core:$version:tar.gz from Maven Central"
fetch "io.trino:trino-server-core:$version:tar.gz"

log "unpacking into $server"
mkdir -p "$work/unpack"
tar -xzf "$work/download/trino-server-core-$version.tar.gz" -C "$work/unpack"
unpacked=$work/unpack/trino-server-core-$version
if [ ! -d "$unpacked" ]; then
	unpacked=$(find "$work/unpack" -mindepth 1 -maxdepth 1 -type d | head -n 1)
fi
for p in $plugins; do
	plugin "$p" "$unpacked"
done
hdfs "$unpacked"

rm -rf "$server"
mv "$unpacked" "$server"
touch "$server/.landerd-complete"
log "ok (Trino $version)"
printf '%s\n' "$server"
