// Package repo locates the repository's own files (scripts, the module root)
// for the test-only packages that install and start real systems, and holds
// the two small pieces they share: a free 127.0.0.1 address for a server and
// the tail of a server's log. The shipped binary never imports it.
package repo
