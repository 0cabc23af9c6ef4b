# lib.sh holds what the install scripts share. A script sets install_name,
# which prefixes its log lines, then sources this file:
#
#	install_name=kdc
#	. "$(dirname -- "$0")/../lib.sh"

# log prints a line to stderr, prefixed with the script's name.
log() {
	printf '%s install: %s\n' "$install_name" "$*" >&2
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

# apt_install installs Debian packages with apt-get, quietly and without
# their recommendations, and exits with apt-get's status when that fails.
# A policy-rc.d answering 101 keeps the packages' services from starting
# where init scripts run (no effect under systemd or without an init); one
# already in place is left alone.
apt_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	apt_policy=/usr/sbin/policy-rc.d
	apt_made_policy=
	if [ ! -e "$apt_policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$apt_policy" >/dev/null
		as_root chmod 755 "$apt_policy"
		apt_made_policy=1
	fi
	apt_status=0
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || apt_status=$?
	if [ -n "$apt_made_policy" ]; then
		as_root rm -f "$apt_policy"
	fi
	if [ "$apt_status" -ne 0 ]; then
		log "apt-get install $* exited with $apt_status"
		exit "$apt_status"
	fi
}
