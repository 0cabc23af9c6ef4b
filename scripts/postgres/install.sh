#!/bin/sh
# install.sh makes a PostgreSQL server available for the tests that start
# one (test/system/postgres): when no /usr/lib/postgresql/VERSION/bin holds
# initdb, pg_ctl and postgres, it installs Debian's postgresql package with
# apt-get. The tests run initdb and postgres themselves, with their own data
# directory and port, so the package's cluster and service are neither
# needed nor started here. It prints the bin directory of the newest
# version on stdout; running it again when the server exists changes
# nothing and prints only that.
set -eu

install_name=postgres
. "$(dirname -- "$0")/../lib.sh"

# bin_dir prints the newest /usr/lib/postgresql/VERSION/bin that holds every
# server program, or nothing.
bin_dir() {
	for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t / -k 5 -n -r); do
		if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
			printf '%s\n' "$dir"
			return
		fi
	done
}

dir=$(bin_dir)
if [ -n "$dir" ]; then
	printf '%s\n' "$dir"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	log "the PostgreSQL server (initdb, pg_ctl, postgres under /usr/lib/postgresql/VERSION/bin) is missing and apt-get is not available; install PostgreSQL 15 or newer by hand"
	exit 1
fi
log "installing Debian's postgresql package with apt-get"
apt_install postgresql
dir=$(bin_dir)
if [ -z "$dir" ]; then
	log "apt-get installed postgresql, but no /usr/lib/postgresql/VERSION/bin holds initdb, pg_ctl and postgres"
	exit 1
fi
log "ok ($("$dir/postgres" --version))"
printf '%s\n' "$dir"
