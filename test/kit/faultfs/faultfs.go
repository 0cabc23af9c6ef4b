package faultfs

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/landerd/landerd/pkg/sink"
)

// ErrInjected is wrapped by every error an [FS] injects.
var ErrInjected = errors.New("injected fault")

// Op names an operation an [FS] can fail.
type Op string

// The operations an FS counts. Write and Close count calls on files
// created through the FS.
const (
	OpCreate Op = "create"
	OpWrite  Op = "write"
	OpClose  Op = "close"
	OpRename Op = "rename"
	OpRemove Op = "remove"
	OpMkdir  Op = "mkdir"
	OpOpen   Op = "open"
)

var faultOps = []Op{OpCreate, OpWrite, OpClose, OpRename, OpRemove, OpMkdir, OpOpen}

// FS wraps a [sink.FS] and fails chosen calls, for fault-injection tests
// and for the daemon's crash tests. Each operation's calls are numbered from
// 1; the calls named in the spec fail exactly once with an error wrapping
// [ErrInjected] and are not passed on (a failing Close still closes the
// inner file, so that nothing leaks, but reports the failure). It is safe
// for concurrent use.
type FS struct {
	inner sink.FS

	mu    sync.Mutex
	fail  map[Op][]int64 // call numbers still to fail
	calls map[Op]int64
	fired int64
}

// New wraps inner. The spec lists op=N pairs separated by commas,
// e.g. "create=3,write=40,close=2,rename=5,remove=1,mkdir=2,open=1": the
// third Create fails, the fortieth Write, and so on. An op may appear more
// than once. An empty spec injects nothing.
func New(inner sink.FS, spec string) (*FS, error) {
	f := &FS{inner: inner, fail: map[Op][]int64{}, calls: map[Op]int64{}}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return f, nil
	}
	var errs []error
	for _, item := range strings.Split(spec, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		op := Op(strings.TrimSpace(key))
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%q: want op=N", item))
		case !slices.Contains(faultOps, op):
			errs = append(errs, fmt.Errorf("%q: unknown op %q (want one of %v)", item, op, faultOps))
		case err != nil || n < 1:
			errs = append(errs, fmt.Errorf("%q: N must be a positive integer", item))
		default:
			f.fail[op] = append(f.fail[op], n)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("fault spec: %w", err)
	}
	return f, nil
}

// Calls reports how many calls of op the FS has seen, failed or not.
func (f *FS) Calls(op Op) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Fired reports how many faults have been injected so far.
func (f *FS) Fired() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// check counts a call of op and returns the injected error when this call
// is one to fail.
func (f *FS) check(op Op, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	n := f.calls[op]
	i := slices.Index(f.fail[op], n)
	if i < 0 {
		return nil
	}
	f.fail[op] = slices.Delete(f.fail[op], i, i+1)
	f.fired++
	return &fs.PathError{Op: string(op), Path: name, Err: fmt.Errorf("%w: %s call %d", ErrInjected, op, n)}
}

// String implements [sink.FS].
func (f *FS) String() string { return "fault+" + f.inner.String() }

// Create implements [sink.FS].
func (f *FS) Create(name string) (sink.File, error) {
	if err := f.check(OpCreate, name); err != nil {
		return nil, err
	}
	file, err := f.inner.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, inner: file, name: name}, nil
}

// CreatePerm implements [sink.FS]; it counts and fails as Create.
func (f *FS) CreatePerm(name string, perm fs.FileMode) (sink.File, error) {
	if err := f.check(OpCreate, name); err != nil {
		return nil, err
	}
	file, err := f.inner.CreatePerm(name, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, inner: file, name: name}, nil
}

// Chmod implements [sink.FS]; it never fails by injection.
func (f *FS) Chmod(name string, perm fs.FileMode) error { return f.inner.Chmod(name, perm) }

// Chgrp implements [sink.FS]; it never fails by injection.
func (f *FS) Chgrp(name, group string) error { return f.inner.Chgrp(name, group) }

// Open implements [sink.FS].
func (f *FS) Open(name string) (sink.ReadFile, error) {
	if err := f.check(OpOpen, name); err != nil {
		return nil, err
	}
	return f.inner.Open(name)
}

// Rename implements [sink.FS].
func (f *FS) Rename(from, to string) error {
	if err := f.check(OpRename, from); err != nil {
		return err
	}
	return f.inner.Rename(from, to)
}

// MkdirAll implements [sink.FS].
func (f *FS) MkdirAll(name string) error {
	if err := f.check(OpMkdir, name); err != nil {
		return err
	}
	return f.inner.MkdirAll(name)
}

// RemoveAll implements [sink.FS].
func (f *FS) RemoveAll(name string) error {
	if err := f.check(OpRemove, name); err != nil {
		return err
	}
	return f.inner.RemoveAll(name)
}

// ReadDir implements [sink.FS]; it never fails by injection.
func (f *FS) ReadDir(name string) ([]fs.FileInfo, error) { return f.inner.ReadDir(name) }

// Stat implements [sink.FS]; it never fails by injection.
func (f *FS) Stat(name string) (fs.FileInfo, error) { return f.inner.Stat(name) }

// faultFile counts writes and closes of one file.
type faultFile struct {
	fs    *FS
	inner sink.File
	name  string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.check(OpWrite, f.name); err != nil {
		return 0, err
	}
	return f.inner.Write(p)
}

func (f *faultFile) Close() error {
	injected := f.fs.check(OpClose, f.name)
	err := f.inner.Close()
	if injected != nil {
		return injected
	}
	return err
}
