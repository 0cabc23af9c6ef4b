#!/bin/sh
# install.sh makes Graphviz's dot available for `make diagram`, which renders
# docs/architecture.dot into docs/img/: when dot is not on PATH it installs
# Debian's graphviz package with apt-get (after apt-get update). Running it
# again when dot exists changes nothing and prints nothing.
set -eu

install_name=diagram
. "$(dirname -- "$0")/../lib.sh"

if command -v dot >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	log "dot is missing and apt-get is not available; install Graphviz by hand"
	exit 1
fi
log "installing Debian's graphviz package with apt-get"
apt_install graphviz
log "ok ($(dot -V 2>&1 | head -n 1))"
