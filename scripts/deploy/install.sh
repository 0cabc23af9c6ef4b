#!/bin/sh
# install.sh makes a Compose CLI available for the deploy package's tests,
# which validate docker-compose.yml with `docker compose config` (or the
# standalone docker-compose) when one is installed. It installs Debian's
# docker-compose with apt-get when neither works. It never fails the build:
# without a Compose CLI those checks are skipped with a message, and the
# Go checks of the compose file still run. No Docker engine is needed.
set -u

log() {
	printf 'deploy install: %s\n' "$*" >&2
}

if docker compose version >/dev/null 2>&1; then
	log "ok (docker compose $(docker compose version --short 2>/dev/null))"
	exit 0
fi
if command -v docker-compose >/dev/null 2>&1; then
	log "ok ($(docker-compose version --short 2>/dev/null))"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	log "no Compose CLI and no apt-get; the compose file's CLI validation will be skipped"
	exit 0
fi

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		return 1
	fi
}

log "installing docker-compose with apt-get"
if as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; then
	log "ok ($(docker-compose version --short 2>/dev/null))"
else
	log "could not install docker-compose; the compose file's CLI validation will be skipped"
fi
exit 0
