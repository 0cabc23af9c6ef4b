// Package repo finds the repository's own files (the module root), runs its
// scripts and builds its binary, for the test-only packages that install
// and start real systems and run landerd against them. The shipped binary
// never imports it.
package repo
