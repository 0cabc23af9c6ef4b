package sink

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// FS is the storage boundary of the lake: every byte landerd lands goes
// through it. It is the composition of small interfaces, one per
// capability: [ReadFS] (Open, ReadDir, Stat), [CreateFS] (Create,
// CreatePerm, MkdirAll), [RenameFS], [RemoveFS] and [PermFS] (Chmod,
// Chgrp). Code takes the narrowest one it needs: the readers of the lake
// ([ListDataFiles], [ReadTable], [Landed], package report) take ReadFS, so
// that a lake opened for reading only implements ReadFS and nothing else;
// landing ([Claim], [WithAccess], [Access.Check]) takes FS.
//
// What follows holds for every method of those interfaces. Paths are
// relative to the lake root, slash-separated and valid in the sense of
// [fs.ValidPath] ("." names the root); an implementation rejects any other
// path, so nothing escapes the root. Errors are *fs.PathError values (or
// wrap one) so that errors.Is works with fs.ErrExist and fs.ErrNotExist;
// [UnwrapPath] takes out the cause.
//
// Landing needs the whole of FS: the publication protocol needs exclusive
// creation, atomic replacing rename, atomic recursive removal and
// listing, and those guarantees are what an implementation must prove.
// One conformance suite (sinktest.TestFS) checks every implementation of
// FS against this contract, so the local filesystem and HDFS behave the
// same where the protocol relies on them; sinktest.TestReadFS checks an
// implementation of ReadFS alone against its part. The semantics are chosen so
// that HDFS (github.com/colinmarc/hdfs/v2) meets them natively: its create
// is exclusive and does not create parents, its rename overwrites, and its
// delete is recursive and atomic.
//
// New files and directories take the group of the directory they are
// created in: HDFS does so for every directory, the local filesystem for
// directories with the set-group-ID bit, which LocalFS's Chmod gives every
// directory. [WithAccess] builds on this to give the lake's tenants their
// own groups.
type FS interface {
	ReadFS
	CreateFS
	RenameFS
	RemoveFS
	PermFS
}

// ReadFS reads the lake: all that a reader of landed files needs. Its
// paths and errors follow the contract of [FS].
type ReadFS interface {
	// Open opens a file for reading.
	Open(name string) (ReadFile, error)
	// ReadDir lists a directory, sorted by name.
	ReadDir(name string) ([]fs.FileInfo, error)
	// Stat describes a file or directory.
	Stat(name string) (fs.FileInfo, error)
	// String identifies the filesystem and its root, for logs,
	// e.g. "file:///var/lib/landerd/lake".
	String() string
}

// CreateFS creates files and directories; it never replaces or removes
// anything. Its paths and errors follow the contract of [FS].
type CreateFS interface {
	// Create creates a new file for writing. It is exclusive: it fails with
	// fs.ErrExist when name exists. The parent directory must exist; Create
	// never creates parents and fails with fs.ErrNotExist when it is missing.
	Create(name string) (File, error)
	// CreatePerm is Create giving the new file exactly the permission bits
	// perm, whatever the filesystem's umask.
	CreatePerm(name string, perm fs.FileMode) (File, error)
	// MkdirAll creates a directory and any missing parents. It succeeds
	// when the directory already exists.
	MkdirAll(name string) error
}

// RenameFS moves files and directories: how a flush is published. Its
// paths and errors follow the contract of [FS].
type RenameFS interface {
	// Rename atomically moves from to to, replacing to if it is a file.
	// The parent of to must exist. It fails with fs.ErrNotExist when from
	// does not exist.
	Rename(from, to string) error
}

// RemoveFS removes trees: how an owner discards what it will not
// publish. Its paths and errors follow the contract of [FS].
type RemoveFS interface {
	// RemoveAll removes name and everything under it. The disappearance is
	// atomic: once RemoveAll returns, nothing under name is visible and a
	// concurrent Create or Rename into it fails. Removing a missing path is
	// not an error.
	RemoveAll(name string) error
}

// PermFS sets who may read a path: its permission bits and its group. Its
// paths and errors follow the contract of [FS].
type PermFS interface {
	// Chmod sets the permission bits of name.
	Chmod(name string, perm fs.FileMode) error
	// Chgrp gives name the group group. The filesystem's user must own name
	// and, unless it is the superuser, be a member of group.
	Chgrp(name, group string) error
}

// File is a file being written. Close makes the data durable (on a local
// disk: fsync, then close; on HDFS: wait for the pipeline's acknowledgement)
// and reports every error that happened along the way. A file whose Close
// failed must be treated as lost.
type File interface {
	io.Writer
	Close() error
}

// ReadFile is a file open for reading. It offers what Parquet readers need:
// random access and the file's size.
type ReadFile interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	// Size is the file's length in bytes.
	Size() int64
}

// errInvalidPath is the error inside the *fs.PathError returned for a path
// that is not a valid lake-relative path.
// It wraps fs.ErrInvalid.
var errInvalidPath = fmt.Errorf("%w: lake paths are relative, slash-separated, without . or .. elements", fs.ErrInvalid)

// checkPath rejects paths that are not valid lake-relative paths.
func checkPath(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: errInvalidPath}
	}
	return nil
}

// UnwrapPath returns the error inside a *fs.PathError: what an FS call
// failed with, without its operation and path. Any other error it returns
// as it is.
func UnwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
