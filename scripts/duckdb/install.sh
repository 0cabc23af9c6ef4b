#!/bin/sh
# install.sh prepares the DuckDB reader in scripts/duckdb for tests: it makes
# sure node and npm exist (installing Debian's nodejs and npm with apt-get when
# they do not) and runs `npm ci` when node_modules is missing or was installed
# from a different package-lock.json. Running it again is cheap and changes
# nothing. It ends by loading DuckDB once to prove the native binary works.
set -eu

dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cd "$dir"

install_name=duckdb
. "$dir/../lib.sh"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if ! command -v apt-get >/dev/null 2>&1; then
		log "node and npm are missing and apt-get is not available; install Node.js >= 18 by hand"
		exit 1
	fi
	log "installing nodejs and npm with apt-get"
	pkgs=""
	command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
	# shellcheck disable=SC2086 # the package list is meant to split
	apt_install $pkgs
fi

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.landerd-lock.sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] && [ -d node_modules/@duckdb/node-api ]; then
	log "node_modules up to date"
else
	log "running npm ci"
	npm ci --no-audit --no-fund
	printf '%s\n' "$lock_sum" >"$stamp"
fi

# Prove the prebuilt native binary loads and answers a query.
if ! echo "SELECT 42 AS answer" | node query.mjs --json | grep -q '"answer":42'; then
	log "DuckDB did not load; remove $dir/node_modules and run again"
	exit 1
fi
log "ok ($(node --version), $(node -e "import('@duckdb/node-api').then(m => console.log('duckdb ' + m.version()))"))"
