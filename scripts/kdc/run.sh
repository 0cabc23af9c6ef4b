#!/bin/sh
# run.sh DIR REALM PORT [PRINCIPAL...] makes a fresh MIT Kerberos realm in
# DIR and runs its KDC in the foreground, for tests:
#   DIR/krb5.conf        a client configuration naming the KDC at 127.0.0.1:PORT (TCP)
#   DIR/kdc.conf         the KDC's profile; the database and stash live beside it
#   DIR/kdc.log          the KDC's log: one line per AS and TGS request
#   DIR/NAME.keytab      a keytab for each PRINCIPAL (NAME is the principal
#                        without its realm, '/' replaced by '_')
# Each PRINCIPAL is created with a random key (name or name/instance,
# without the realm). The KDC then replaces this shell (exec), so whoever
# started the script stops the KDC by signalling its process. Nothing
# outside DIR is touched; scripts/kdc/install.sh installs the programs.
set -eu

if [ "$#" -lt 3 ]; then
	echo "usage: run.sh DIR REALM PORT [PRINCIPAL...]" >&2
	exit 2
fi
dir=$1 realm=$2 port=$3
shift 3
PATH="$PATH:/usr/sbin:/sbin"
for prog in krb5kdc kdb5_util kadmin.local; do
	if ! command -v "$prog" >/dev/null 2>&1; then
		echo "kdc: $prog not found; run scripts/kdc/install.sh" >&2
		exit 1
	fi
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
enctypes="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96"

cat >"$dir/krb5.conf" <<CONF
[libdefaults]
	default_realm = $realm
	dns_lookup_realm = false
	dns_lookup_kdc = false
	udp_preference_limit = 1
	ticket_lifetime = 1h
	default_tkt_enctypes = $enctypes
	default_tgs_enctypes = $enctypes
	permitted_enctypes = $enctypes

[realms]
	$realm = {
		kdc = 127.0.0.1:$port
	}
CONF

cat >"$dir/kdc.conf" <<CONF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port

[realms]
	$realm = {
		database_name = $dir/principal
		key_stash_file = $dir/stash
		acl_file = $dir/kadm5.acl
		max_life = 1h
		default_principal_flags = +preauth
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}

[logging]
	kdc = FILE:$dir/kdc.log
	admin_server = FILE:$dir/kadmin.log
	default = FILE:$dir/krb5lib.log
CONF
: >"$dir/kadm5.acl"

export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
# setup runs a command with its output in DIR/setup.log, shown on failure.
setup() {
	if ! "$@" >>"$dir/setup.log" 2>&1; then
		echo "kdc: $1 failed:" >&2
		cat "$dir/setup.log" >&2
		exit 1
	fi
}
master=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
setup kdb5_util -r "$realm" create -s -P "$master"
for p in "$@"; do
	name=$(printf '%s' "$p" | tr / _)
	setup kadmin.local -r "$realm" -q "addprinc -randkey $p@$realm"
	setup kadmin.local -r "$realm" -q "ktadd -k $dir/$name.keytab $p@$realm"
done
exec krb5kdc -n -r "$realm"
