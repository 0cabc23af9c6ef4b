// Package catalogtest wraps an Iceberg catalog for tests: Hooked runs a
// test's functions around its LoadTable and CommitTable, to interleave
// another writer's commit between a load and a commit (a conflict), or to
// lose a commit's answer after it happened (an unknown outcome). It is
// test-only code; nothing that ships imports it.
package catalogtest
