#!/bin/sh
# install.sh prepares the HDFS test cluster: it resolves the pinned Hadoop
# jars of pom.xml with Maven (through ~/.m2) into
# ${LANDERD_CACHE:-$HOME/.cache/landerd}/hadoop-VERSION/ and compiles
# HdfsLauncher.java there with javac. Both are keyed by a hash of their
# inputs, so changing pom.xml or the launcher's source installs again, and
# running it when everything is in place does nothing and prints nothing.
# Concurrent runs are safe: each builds in a private folder and renames it
# into place.
#
#   install.sh               install if needed (messages on stderr only)
#   install.sh --classpath   install if needed, then print the launcher's
#                            classpath on stdout
set -eu

dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
version=$(sed -n 's:.*<hadoop.version>\(.*\)</hadoop.version>.*:\1:p' "$dir/pom.xml")
cache=${LANDERD_CACHE:-$HOME/.cache/landerd}/hadoop-$version
dep_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

log() {
	printf 'hdfs install: %s\n' "$*" >&2
}

need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		log "$1 is not installed; the HDFS test cluster needs $2"
		exit 1
	fi
}

hash_of() {
	cat "$@" | sha256sum | cut -c1-16
}

# place moves the finished folder $1 to $2 unless another run got there first.
place() {
	if ! mv -T "$1" "$2" 2>/dev/null; then
		rm -rf "$1"
		[ -d "$2" ] || {
			log "could not move $1 to $2"
			exit 1
		}
	fi
}

lib=$cache/lib-$(hash_of "$dir/pom.xml")
if [ ! -d "$lib" ]; then
	need mvn "Maven to download Hadoop $version from Maven Central"
	need java "Java 17"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.lib.XXXXXX")
	log "resolving Hadoop $version with Maven (about 90 MB, once)"
	if ! mvn -q -B -f "$dir/pom.xml" "$dep_plugin:copy-dependencies" \
		-DoutputDirectory="$tmp" -DincludeScope=runtime >"$tmp.log" 2>&1; then
		log "Maven could not resolve the Hadoop jars (is Maven Central reachable?); its output:"
		tail -n 30 "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		exit 1
	fi
	rm -f "$tmp.log"
	chmod 755 "$tmp"
	place "$tmp" "$lib"
	log "jars in $lib"
fi
cp="$lib/*"

classes=$cache/launcher-$(hash_of "$dir/HdfsLauncher.java" "$dir/pom.xml")
if [ ! -f "$classes/HdfsLauncher.class" ]; then
	need javac "a Java 17 JDK (javac)"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.launcher.XXXXXX")
	if ! javac -nowarn --release 17 -cp "$cp" -d "$tmp" "$dir/HdfsLauncher.java" >"$tmp/javac.log" 2>&1; then
		log "javac could not compile HdfsLauncher.java:"
		cat "$tmp/javac.log" >&2
		rm -rf "$tmp"
		exit 1
	fi
	rm -f "$tmp/javac.log"
	chmod 755 "$tmp"
	place "$tmp" "$classes"
	log "launcher compiled in $classes"
fi

if [ "${1:-}" = --classpath ]; then
	printf '%s:%s\n' "$classes" "$cp"
fi
