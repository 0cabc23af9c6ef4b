#!/bin/sh
# install.sh VERSION resolves Apache Kafka VERSION (org.apache.kafka:kafka_2.13
# and its runtime dependencies) from Maven Central into
# ${LANDERD_CACHE:-$HOME/.cache/landerd}/kafka-VERSION/libs, together with the
# log4j2 jars the broker logs through and log4j2.properties beside them, so
# that tests can start brokers as plain `java` processes:
#
#	java -cp 'kafka-VERSION/libs/*' kafka.tools.StorageTool format ...
#	java -cp 'kafka-VERSION/libs/*' kafka.Kafka server.properties
#
# It uses Maven (a generated pom and dependency:copy-dependencies), so the
# jars are also cached in ~/.m2. Running it again for an installed version
# prints nothing and changes nothing; concurrent runs wait for each other.
# It installs Debian's maven with apt-get when mvn is missing.
set -eu

log() {
	printf 'kafka install: %s\n' "$*" >&2
}

die() {
	log "$*"
	exit 1
}

[ $# -eq 1 ] || die "usage: install.sh VERSION (e.g. 4.1.0)"
version=$1
case $version in
[0-9]*.[0-9]*.[0-9]*) ;;
*) die "version $version: want MAJOR.MINOR.PATCH" ;;
esac

# Pinned versions of the logging jars: Kafka 4.x logs through log4j2 but
# does not depend on an implementation, so without these the broker runs
# silently. log4j-1.2-api serves Kafka 3.9's log4j 1 calls.
log4j_version=2.24.3
# Kafka declares slf4j-api 1.7, which finds no slf4j2 provider: ask for 2.x.
slf4j_version=2.0.17

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cache=${LANDERD_CACHE:-$HOME/.cache/landerd}
dest=$cache/kafka-$version
stamp=$dest/.installed

# The pom names everything the install depends on; its checksum, stored in
# the stamp, tells whether an existing install is complete and current.
pom() {
	cat <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.landerd.test</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>$version</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>$slf4j_version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>$log4j_version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId>
      <version>$log4j_version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-1.2-api</artifactId>
      <version>$log4j_version</version>
    </dependency>
  </dependencies>
</project>
POM
}

want=$( (pom; cat "$here/log4j2.properties") | sha256sum | cut -d' ' -f1)
installed() {
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]
}
installed && exit 0

mkdir -p "$cache"
# One install at a time per version: tests of several packages may ask at once.
exec 9>"$cache/kafka-$version.lock"
if command -v flock >/dev/null 2>&1; then
	flock 9
fi
installed && exit 0

if ! command -v mvn >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 || die "mvn is missing and apt-get is not available; install Maven 3"
	[ "$(id -u)" -eq 0 ] || die "mvn is missing; install Maven 3 (apt-get install maven) as root"
	log "installing maven with apt-get"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null
fi

log "resolving org.apache.kafka:kafka_2.13:$version from Maven Central into $dest"
work=$(mktemp -d "$cache/kafka-$version.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
pom >"$work/pom.xml"
mkdir -p "$work/libs" "$work/config"
if ! mvn -B -q -f "$work/pom.xml" \
	org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
	-DincludeScope=runtime -DoutputDirectory="$work/libs" >"$work/mvn.log" 2>&1; then
	tail -n 20 "$work/mvn.log" >&2
	die "Maven could not resolve Apache Kafka $version (org.apache.kafka:kafka_2.13:$version) and its dependencies; is Maven Central reachable, and is $version a released version?"
fi
ls "$work/libs"/kafka_2.13-"$version".jar >/dev/null 2>&1 || die "Maven resolved no kafka_2.13-$version.jar"
cp "$here/log4j2.properties" "$work/config/log4j2.properties"
rm -f "$work/mvn.log"

rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
printf '%s\n' "$want" >"$stamp"
log "ok: $(ls "$dest/libs" | wc -l) jars, $(du -sh "$dest/libs" | cut -f1) in $dest/libs"
