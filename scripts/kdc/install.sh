#!/bin/sh
# install.sh makes MIT Kerberos's KDC programs available for the Kerberos
# tests: when krb5kdc or kdb5_util is missing it installs Debian's krb5-kdc
# and krb5-admin-server packages (and krb5-user for kinit/klist) with
# apt-get. The tests start krb5kdc themselves, with their own realm,
# database and ports, so the packages' services are neither needed nor
# started here. Running it again when the programs exist prints nothing.
set -eu

log() {
	printf 'kdc install: %s\n' "$*" >&2
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
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# policy-rc.d answering 101 keeps the packages' services from starting where
# init scripts run; debconf gets a realm so the install asks nothing.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
	as_root chmod 755 "$policy"
	made_policy=1
fi
status=0
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	krb5-kdc krb5-admin-server krb5-user >/dev/null || status=$?
if [ -n "$made_policy" ]; then
	as_root rm -f "$policy"
fi
if [ "$status" -ne 0 ]; then
	log "apt-get install krb5-kdc krb5-admin-server krb5-user exited with $status"
	exit "$status"
fi
log "ok ($(dpkg-query -W -f '${Package} ${Version}' krb5-kdc))"
