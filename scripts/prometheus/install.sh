#!/bin/sh
# install.sh makes a prometheus server binary available for the tests in
# test/system/prometheus: when none is on PATH it installs Debian's prometheus
# package with apt-get. The tests start prometheus themselves, with their own
# config and data directory, so the package's service is neither needed nor
# started here. Running it again when prometheus exists changes nothing and
# prints nothing.
set -eu

install_name=prometheus
. "$(dirname -- "$0")/../lib.sh"

if command -v prometheus >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	log "prometheus is missing and apt-get is not available; install Prometheus 2.x by hand"
	exit 1
fi
log "installing Debian's prometheus package with apt-get"
apt_install prometheus
log "ok ($(prometheus --version 2>&1 | head -n 1))"
