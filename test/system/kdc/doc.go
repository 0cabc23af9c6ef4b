// Package kdc runs a real MIT Kerberos KDC (Debian's krb5-kdc) as a
// process for tests: a fresh realm in a temporary directory, a key and a
// keytab for each principal the test names, a krb5.conf pointing at the
// KDC on a free 127.0.0.1 port, and the KDC's own log to assert on.
//
// Start installs the KDC programs when they are missing (the repository's
// scripts/kdc/install.sh, through apt-get) and runs scripts/kdc/run.sh,
// which creates the realm and then becomes the krb5kdc process. Only tests
// import this package: every problem (no apt-get, no root, a KDC that does
// not come up) fails the test with a message naming the KDC and the cause;
// it never skips.
package kdc
