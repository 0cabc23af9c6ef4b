package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ErrInjected is wrapped by every error a [FaultFS] injects.
var ErrInjected = errors.New("injected fault")

// FaultOp names an operation a [FaultFS] can fail.
type FaultOp string

// The operations a FaultFS counts. Write and Close count calls on files
// created through the FaultFS.
const (
	FaultCreate FaultOp = "create"
	FaultWrite  FaultOp = "write"
	FaultClose  FaultOp = "close"
	FaultRename FaultOp = "rename"
	FaultRemove FaultOp = "remove"
	FaultMkdir  FaultOp = "mkdir"
	FaultOpen   FaultOp = "open"
)

var faultOps = []FaultOp{FaultCreate, FaultWrite, FaultClose, FaultRename, FaultRemove, FaultMkdir, FaultOpen}

// FaultFS wraps an [FS] and fails chosen calls, for fault-injection tests
// and for the daemon's crash tests. Each operation's calls are numbered from
// 1; the calls named in the spec fail exactly once with an error wrapping
// [ErrInjected] and are not passed on (a failing Close still closes the
// inner file, so that nothing leaks, but reports the failure). It is safe
// for concurrent use.
type FaultFS struct {
	inner FS

	mu    sync.Mutex
	fail  map[FaultOp][]int64 // call numbers still to fail
	calls map[FaultOp]int64
	fired int64
}

// NewFaultFS wraps inner. The spec lists op=N pairs separated by commas,
// e.g. "create=3,write=40,close=2,rename=5,remove=1,mkdir=2,open=1": the
// third Create fails, the fortieth Write, and so on. An op may appear more
// than once. An empty spec injects nothing.
func NewFaultFS(inner FS, spec string) (*FaultFS, error) {
	f := &FaultFS{inner: inner, fail: map[FaultOp][]int64{}, calls: map[FaultOp]int64{}}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return f, nil
	}
	var errs []error
	for _, item := range strings.Split(spec, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		op := FaultOp(strings.TrimSpace(key))
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

// Calls reports how many calls of op the FaultFS has seen, failed or not.
func (f *FaultFS) Calls(op FaultOp) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Fired reports how many faults have been injected so far.
func (f *FaultFS) Fired() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// check counts a call of op and returns the injected error when this call
// is one to fail.
func (f *FaultFS) check(op FaultOp, name string) error {
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

// String implements [FS].
func (f *FaultFS) String() string { return "fault+" + f.inner.String() }

// Create implements [FS].
func (f *FaultFS) Create(name string) (File, error) {
	if err := f.check(FaultCreate, name); err != nil {
		return nil, err
	}
	file, err := f.inner.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, inner: file, name: name}, nil
}

// Open implements [FS].
func (f *FaultFS) Open(name string) (ReadFile, error) {
	if err := f.check(FaultOpen, name); err != nil {
		return nil, err
	}
	return f.inner.Open(name)
}

// Rename implements [FS].
func (f *FaultFS) Rename(from, to string) error {
	if err := f.check(FaultRename, from); err != nil {
		return err
	}
	return f.inner.Rename(from, to)
}

// MkdirAll implements [FS].
func (f *FaultFS) MkdirAll(name string) error {
	if err := f.check(FaultMkdir, name); err != nil {
		return err
	}
	return f.inner.MkdirAll(name)
}

// RemoveAll implements [FS].
func (f *FaultFS) RemoveAll(name string) error {
	if err := f.check(FaultRemove, name); err != nil {
		return err
	}
	return f.inner.RemoveAll(name)
}

// ReadDir implements [FS]; it never fails by injection.
func (f *FaultFS) ReadDir(name string) ([]fs.FileInfo, error) { return f.inner.ReadDir(name) }

// Stat implements [FS]; it never fails by injection.
func (f *FaultFS) Stat(name string) (fs.FileInfo, error) { return f.inner.Stat(name) }

// faultFile counts writes and closes of one file.
type faultFile struct {
	fs    *FaultFS
	inner File
	name  string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.check(FaultWrite, f.name); err != nil {
		return 0, err
	}
	return f.inner.Write(p)
}

func (f *faultFile) Close() error {
	injected := f.fs.check(FaultClose, f.name)
	err := f.inner.Close()
	if injected != nil {
		return injected
	}
	return err
}
