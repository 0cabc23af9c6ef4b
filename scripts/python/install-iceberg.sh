#!/bin/sh
# install-iceberg.sh creates or updates what the Iceberg readers' checks
# need, beside the main venv of install.sh and without touching it:
#
#   - the virtualenv ${LANDERD_CACHE:-$HOME/.cache/landerd}/venv-iceberg-<key>, from
#     the machine's python3 (3.10 or newer), with python/requirements-iceberg.txt
#     (pyspark 4.1, pyiceberg, DuckDB and its iceberg and avro extensions),
#     every version fixed by python/constraints-iceberg.txt;
#   - the jars Spark loads (spark.jars) to read Iceberg tables through a JDBC
#     or Hadoop catalog: org.apache.iceberg:iceberg-spark-runtime-4.1_2.13 and
#     the PostgreSQL JDBC driver, from Maven Central through Maven (so they
#     are also kept in ~/.m2), copied into
#     ${LANDERD_CACHE:-$HOME/.cache/landerd}/iceberg-jars.
#
# A second venv because the Iceberg Spark runtime is built for Spark 4.1 and
# none exists for the main venv's pyspark 4.3. Each part is rebuilt when what
# it is made of changes (keyed by a hash: the requirement files, the jars'
# coordinates); when nothing has, it prints nothing. The venv's folder is
# named by the first 12 digits of its key, so checkouts with different
# requirement files each keep their own rather than rebuilding one folder
# under each other's running Spark (remove the folders no checkout uses);
# `install-iceberg.sh --venv` prints the folder. It never uses the system's
# site-packages. Concurrent runs wait on a lock.
# scripts/python/py-iceberg runs the venv's Python with python/src on the path
# and LANDERD_ICEBERG_JARS naming the jars.
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cache=${LANDERD_CACHE:-$HOME/.cache/landerd}
jars=$cache/iceberg-jars
py=${LANDERD_PYTHON:-python3}

# The jars, as groupId:artifactId:version. Iceberg's runtime bundles what it
# needs (it is shaded); the driver has no dependencies of its own.
artifacts="org.apache.iceberg:iceberg-spark-runtime-4.1_2.13:1.12.0 org.postgresql:postgresql:42.7.14"

log() {
	printf 'python iceberg install: %s\n' "$*" >&2
}

venv_key=$(cat "$root/python/requirements-iceberg.txt" "$root/python/constraints-iceberg.txt" | sha256sum | cut -d' ' -f1)
venv=$cache/venv-iceberg-$(printf '%s' "$venv_key" | cut -c1-12)
if [ "${1:-}" = --venv ]; then
	printf '%s\n' "$venv"
	exit 0
fi
venv_stamp=$venv/.landerd-requirements.sha256
jars_key=$(printf '%s\n' $artifacts | sha256sum | cut -d' ' -f1)
jars_stamp=$jars/.landerd-artifacts.sha256
venv_ok() {
	[ -f "$venv_stamp" ] && [ "$(cat "$venv_stamp")" = "$venv_key" ] && [ -x "$venv/bin/python" ]
}
jars_ok() {
	[ -f "$jars_stamp" ] && [ "$(cat "$jars_stamp")" = "$jars_key" ]
}
if venv_ok && jars_ok; then
	exit 0
fi
mkdir -p "$cache"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/venv-iceberg.lock"
	flock 9
fi

if ! jars_ok; then
	if ! command -v mvn >/dev/null 2>&1; then
		log "mvn is missing: install Maven 3 (Debian: apt-get install maven)"
		exit 1
	fi
	start=$(date +%s)
	log "fetching $artifacts from Maven Central into $jars"
	work=$(mktemp -d "$cache/iceberg-jars.tmp.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	for a in $artifacts; do
		if ! mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
			-Dartifact="$a" -DoutputDirectory="$work" >"$work/mvn.log" 2>&1; then
			tail -n 20 "$work/mvn.log" >&2
			log "Maven could not fetch $a; is Maven Central reachable?"
			exit 1
		fi
	done
	rm -f "$work/mvn.log"
	printf '%s\n' "$jars_key" >"$work/.landerd-artifacts.sha256"
	rm -rf "$jars"
	mv "$work" "$jars"
	trap - EXIT
	log "ok: $(ls "$jars" | wc -l) jars, $(du -sh "$jars" | cut -f1), in $(($(date +%s) - start)) s"
fi

if venv_ok; then
	exit 0
fi
if ! command -v "$py" >/dev/null 2>&1; then
	log "$py not found: install Python 3.10 or newer"
	exit 1
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
	log "$py is $("$py" --version 2>&1); need 3.10 or newer"
	exit 1
fi
start=$(date +%s)
log "building $venv"
rm -rf "$venv"
if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
	log "$py -m venv failed; on Debian install python3-venv"
	exit 1
fi
# The same pip cache as install.sh: pyspark is an sdist of some 450 MB,
# built into a wheel once.
export PIP_CACHE_DIR="$cache/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
out=$cache/pip-install-iceberg.log
if ! "$venv/bin/python" -m pip install --quiet \
	-r "$root/python/requirements-iceberg.txt" -c "$root/python/constraints-iceberg.txt" >"$out" 2>&1; then
	cat "$out" >&2
	if grep -qi 'could not find a version\|no matching distribution\|403\|connection\|proxy' "$out"; then
		pkg=$(grep -io 'distribution found for [^ ]*' "$out" | head -n 1 | sed 's/.* for //')
		log "PyPI refused the download of ${pkg:-a package} (pinned in python/requirements-iceberg.txt or python/constraints-iceberg.txt)"
	fi
	rm -rf "$venv"
	log "install failed"
	exit 1
fi
printf '%s\n' "$venv_key" >"$venv_stamp"
log "ok: $("$venv/bin/python" --version), pyspark $("$venv/bin/python" -c 'import pyspark; print(pyspark.__version__)'), pyiceberg $("$venv/bin/python" -c 'import pyiceberg; print(pyiceberg.__version__)') in $(($(date +%s) - start)) s"
