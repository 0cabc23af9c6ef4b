#!/bin/sh
# install.sh makes MIT Kerberos's KDC programs available for the Kerberos
# tests: when krb5kdc or kdb5_util is missing it installs Debian's krb5-kdc
# and krb5-admin-server packages (and krb5-user for kinit/klist) with
# apt-get. The tests start krb5kdc themselves, with their own realm,
# database and ports, so the packages' services are neither needed nor
# started here. Running it again when the programs exist prints nothing.
set -eu

install_name=kdc
. "$(dirname -- "$0")/../lib.sh"

PATH="$PATH:/usr/sbin:/sbin"
if command -v krb5kdc >/dev/null 2>&1 && command -v kdb5_util >/dev/null 2>&1 &&
	command -v kadmin.local >/dev/null 2>&1; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	log "krb5kdc is missing and apt-get is not available; install MIT Kerberos's KDC by hand"
	exit 1
fi
log "installing Debian's krb5-kdc and krb5-admin-server with apt-get"
apt_install krb5-kdc krb5-admin-server krb5-user
log "ok ($(dpkg-query -W -f '${Package} ${Version}' krb5-kdc))"
