#!/bin/sh
# install.sh makes a prometheus server binary available for the tests in
# internal/promcheck: when none is on PATH it installs Debian's prometheus
# package with apt-get. The tests start prometheus themselves, with their own
# config and data directory, so the package's service is neither needed nor
# started here. Running it again when prometheus exists changes nothing and
# prints nothing.
set -eu

log() {
	printf 'prometheus install: %s\n' "$*" >&2
}

# as_root runs a command as root, through sudo when not root already.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "need root or sudo to run: $*"
		exit 1
	fi
}

if command -v prometheus >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	log "prometheus is missing and apt-get is not available; install Prometheus 2.x by hand"
	exit 1
fi
log "installing Debian's prometheus package with apt-get"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# policy-rc.d answering 101 keeps the package's service from starting where
# init scripts run (no effect under systemd or without an init).
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
	as_root chmod 755 "$policy"
	made_policy=1
fi
status=0
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null || status=$?
if [ -n "$made_policy" ]; then
	as_root rm -f "$policy"
fi
if [ "$status" -ne 0 ]; then
	log "apt-get install prometheus exited with $status"
	exit "$status"
fi
log "ok ($(prometheus --version 2>&1 | head -n 1))"
