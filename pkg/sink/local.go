package sink

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// removingPrefix starts the name of a directory that LocalFS.RemoveAll has
// renamed away and is deleting. ReadDir hides such entries; one survives
// only a crash in the middle of a RemoveAll and is then inert.
const removingPrefix = ".landerd-removing-"

// localWriteBuffer is the write buffer of a LocalFS file. Parquet writers
// issue many small writes (page headers) between large ones (pages).
const localWriteBuffer = 256 << 10

// LocalFS is an [FS] on the local filesystem, rooted at a directory.
//
// It is durable: a file's Close fsyncs it, and every operation that changes
// a directory (Create, Rename, MkdirAll, RemoveAll) fsyncs that directory
// before it returns, so that what was acknowledged survives a power loss.
// RemoveAll first renames the tree to a hidden sibling, which makes its
// disappearance atomic, and then deletes it.
type LocalFS struct {
	root string // absolute, cleaned
}

// NewLocal returns a LocalFS rooted at root, creating the directory when
// it is missing.
func NewLocal(root string) (*LocalFS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local fs root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("local fs root: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local fs root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local fs root %s: not a directory", abs)
	}
	return &LocalFS{root: abs}, nil
}

// String returns the root as a file:// URL.
func (l *LocalFS) String() string { return "file://" + filepath.ToSlash(l.root) }

// Root returns the absolute path of the lake root on the local filesystem.
func (l *LocalFS) Root() string { return l.root }

// full maps a lake path to a local path.
func (l *LocalFS) full(name string) string {
	return filepath.Join(l.root, filepath.FromSlash(name))
}

// pathErr rewrites an error from package os so that it names the lake path
// rather than the local one.
func pathErr(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// Create implements [FS]. The file's mode is 0644 less the process's
// umask.
func (l *LocalFS) Create(name string) (File, error) {
	return l.create(name, 0o644, false)
}

// CreatePerm implements [FS].
func (l *LocalFS) CreatePerm(name string, perm fs.FileMode) (File, error) {
	return l.create(name, perm.Perm(), true)
}

// create creates name with perm, less the umask unless exact.
func (l *LocalFS) create(name string, perm fs.FileMode, exact bool) (File, error) {
	if err := checkPath("create", name); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(l.full(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, pathErr("create", name, err)
	}
	if exact {
		if err := f.Chmod(perm); err != nil {
			return nil, errors.Join(pathErr("create", name, err), f.Close())
		}
	}
	if err := l.syncDir(path.Dir(name)); err != nil {
		return nil, errors.Join(pathErr("create", name, err), f.Close())
	}
	return &localFile{f: f, w: bufio.NewWriterSize(f, localWriteBuffer), name: name}, nil
}

// Chmod implements [FS]. A directory also gets the set-group-ID bit, so
// that what is created in it takes its group, as on HDFS.
func (l *LocalFS) Chmod(name string, perm fs.FileMode) error {
	if err := checkPath("chmod", name); err != nil {
		return err
	}
	fi, err := os.Stat(l.full(name))
	if err != nil {
		return pathErr("chmod", name, err)
	}
	perm = perm.Perm()
	if fi.IsDir() {
		perm |= fs.ModeSetgid
	}
	if err := os.Chmod(l.full(name), perm); err != nil {
		return pathErr("chmod", name, err)
	}
	return nil
}

// Chgrp implements [FS]; group is a group name of the local system.
func (l *LocalFS) Chgrp(name, group string) error {
	if err := checkPath("chgrp", name); err != nil {
		return err
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return pathErr("chgrp", name, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return pathErr("chgrp", name, fmt.Errorf("group %s: gid %q: %w", group, g.Gid, err))
	}
	if err := os.Lchown(l.full(name), -1, gid); err != nil {
		return pathErr("chgrp", name, err)
	}
	return nil
}

// Open implements [FS].
func (l *LocalFS) Open(name string) (ReadFile, error) {
	if err := checkPath("open", name); err != nil {
		return nil, err
	}
	f, err := os.Open(l.full(name))
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, errors.Join(pathErr("open", name, err), f.Close())
	}
	if fi.IsDir() {
		return nil, errors.Join(&fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}, f.Close())
	}
	return &localReadFile{File: f, size: fi.Size()}, nil
}

// Rename implements [FS].
func (l *LocalFS) Rename(from, to string) error {
	if err := checkPath("rename", from); err != nil {
		return err
	}
	if err := checkPath("rename", to); err != nil {
		return err
	}
	if err := os.Rename(l.full(from), l.full(to)); err != nil {
		return pathErr("rename", from, err)
	}
	if err := l.syncDir(path.Dir(to)); err != nil {
		return pathErr("rename", to, err)
	}
	if path.Dir(from) != path.Dir(to) {
		if err := l.syncDir(path.Dir(from)); err != nil {
			return pathErr("rename", from, err)
		}
	}
	return nil
}

// MkdirAll implements [FS]. It creates one element at a time so that it can
// fsync the parent of every directory it creates.
func (l *LocalFS) MkdirAll(name string) error {
	if err := checkPath("mkdir", name); err != nil {
		return err
	}
	if name == "." {
		return nil
	}
	dir := ""
	for _, elem := range strings.Split(name, "/") {
		parent := dir
		if parent == "" {
			parent = "."
		}
		dir = path.Join(dir, elem)
		err := os.Mkdir(l.full(dir), 0o755)
		switch {
		case err == nil:
			if err := l.syncDir(parent); err != nil {
				return pathErr("mkdir", dir, err)
			}
		case errors.Is(err, fs.ErrExist):
			fi, serr := os.Stat(l.full(dir))
			if serr != nil {
				return pathErr("mkdir", dir, serr)
			}
			if !fi.IsDir() {
				return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("not a directory")}
			}
		default:
			return pathErr("mkdir", dir, err)
		}
	}
	return nil
}

// RemoveAll implements [FS]: rename to a unique hidden sibling (atomic),
// fsync the parent, then delete the sibling's tree.
func (l *LocalFS) RemoveAll(name string) error {
	if err := checkPath("remove", name); err != nil {
		return err
	}
	if name == "." {
		return &fs.PathError{Op: "remove", Path: name, Err: errors.New("cannot remove the lake root")}
	}
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return pathErr("remove", name, err)
	}
	trash := path.Join(path.Dir(name), removingPrefix+path.Base(name)+"-"+hex.EncodeToString(suffix[:]))
	if err := os.Rename(l.full(name), l.full(trash)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return pathErr("remove", name, err)
	}
	if err := l.syncDir(path.Dir(name)); err != nil {
		return pathErr("remove", name, err)
	}
	if err := os.RemoveAll(l.full(trash)); err != nil {
		return pathErr("remove", name, err)
	}
	return nil
}

// ReadDir implements [FS].
func (l *LocalFS) ReadDir(name string) ([]fs.FileInfo, error) {
	if err := checkPath("readdir", name); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(l.full(name)) // sorted by name
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), removingPrefix) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, pathErr("readdir", name, err)
		}
		infos = append(infos, fi)
	}
	return infos, nil
}

// Stat implements [FS].
func (l *LocalFS) Stat(name string) (fs.FileInfo, error) {
	if err := checkPath("stat", name); err != nil {
		return nil, err
	}
	fi, err := os.Stat(l.full(name))
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return fi, nil
}

// syncDir fsyncs a directory so that changes to its entries are durable.
func (l *LocalFS) syncDir(name string) error {
	d, err := os.Open(l.full(name))
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// localFile is a buffered, durable-on-close local file.
type localFile struct {
	f      *os.File
	w      *bufio.Writer
	name   string
	closed bool
}

func (f *localFile) Write(p []byte) (int, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrClosed}
	}
	n, err := f.w.Write(p)
	if err != nil {
		return n, pathErr("write", f.name, err)
	}
	return n, nil
}

// Close flushes the buffer, fsyncs and closes the file, reporting every error.
func (f *localFile) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	var errs []error
	if err := f.w.Flush(); err != nil {
		errs = append(errs, err)
	}
	if err := f.f.Sync(); err != nil {
		errs = append(errs, err)
	}
	if err := f.f.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return pathErr("close", f.name, err)
	}
	return nil
}

// localReadFile is an *os.File open for reading with its size.
type localReadFile struct {
	*os.File
	size int64
}

func (f *localReadFile) Size() int64 { return f.size }
