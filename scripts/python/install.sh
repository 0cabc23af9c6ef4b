#!/bin/sh
# install.sh creates or updates the Python virtualenv of the Spark checks and
# the notebook at ${LANDERD_CACHE:-$HOME/.cache/landerd}/venv, from the
# machine's python3 (3.10 or newer), with the pinned requirements of python/
# (requirements.txt, every version fixed by constraints.txt). The venv is
# rebuilt when those files change (keyed by their hash); when they have not,
# it prints nothing. It never uses the system's site-packages. The venv does
# not depend on the checkout: scripts/python/py puts python/src on the path,
# so checkouts of any branch can share it. Concurrent runs wait on a lock.
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cache=${LANDERD_CACHE:-$HOME/.cache/landerd}
venv=$cache/venv
py=${LANDERD_PYTHON:-python3}

log() {
	printf 'python install: %s\n' "$*" >&2
}

key=$(cat "$root/python/requirements.txt" "$root/python/constraints.txt" | sha256sum | cut -d' ' -f1)
stamp=$venv/.landerd-requirements.sha256
up_to_date() {
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && [ -x "$venv/bin/python" ]
}
if up_to_date; then
	exit 0
fi
mkdir -p "$cache"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/venv.lock"
	flock 9
	if up_to_date; then
		exit 0
	fi
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
# pip's own cache of downloads and built wheels (pyspark is an sdist of
# some 400 MB) lives beside the venv, so rebuilding the venv is quick.
export PIP_CACHE_DIR="$cache/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
out=$cache/pip-install.log
if ! "$venv/bin/python" -m pip install --quiet \
	-r "$root/python/requirements.txt" -c "$root/python/constraints.txt" >"$out" 2>&1; then
	cat "$out" >&2
	if grep -qi 'could not find a version\|no matching distribution\|403\|connection\|proxy' "$out"; then
		pkg=$(grep -io 'distribution found for [^ ]*' "$out" | head -n 1 | sed 's/.* for //')
		log "PyPI refused the download of ${pkg:-a package} (pinned in python/requirements.txt or python/constraints.txt)"
	fi
	rm -rf "$venv"
	log "install failed"
	exit 1
fi
printf '%s\n' "$key" >"$stamp"
log "ok: $("$venv/bin/python" --version), pyspark $("$venv/bin/python" -c 'import pyspark; print(pyspark.__version__)') in $(($(date +%s) - start)) s"
