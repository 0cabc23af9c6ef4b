package iceio

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	iceio "github.com/apache/iceberg-go/io"

	"github.com/landerd/landerd/pkg/sink"
)

// ReadIO is the reading half of IO: io.IO (but Remove), io.ReadFileIO,
// io.StatIO and io.ListableIO. Names are hdfs:// URLs under the lake's
// root; any other is an fs.ErrInvalid error.
type ReadIO struct {
	fsys sink.ReadFS
	host string
	root string
}

// IO is the Iceberg IO of a lake: ReadIO, and io.WriteFileIO,
// io.RenameIO, io.RemoveAllIO, io.MkdirAllIO and io.RenameNoReplaceIO, so
// that it is a hadoop.HadoopCatalogFS. On a lake open for reading only
// (a sink.ReadFS that is no sink.FS, as a report opens it) every method
// that would change the lake fails with fs.ErrPermission: iceberg-go's
// hadoop catalog asks for the whole interface even to read.
type IO struct {
	ReadIO
	fsys sink.FS // nil on a lake open for reading only
}

var (
	_ iceio.ReadFileIO        = (*IO)(nil)
	_ iceio.StatIO            = (*IO)(nil)
	_ iceio.ListableIO        = (*IO)(nil)
	_ iceio.WriteFileIO       = (*IO)(nil)
	_ iceio.RenameIO          = (*IO)(nil)
	_ iceio.RenameNoReplaceIO = (*IO)(nil)
	_ iceio.RemoveAllIO       = (*IO)(nil)
	_ iceio.MkdirAllIO        = (*IO)(nil)
)

// New returns the IO of lake, whose String is its hdfs:// URL. It writes
// when lake implements sink.FS.
func New(lake sink.ReadFS) (*IO, error) {
	host, root, err := split(lake.String())
	if err != nil {
		return nil, fmt.Errorf("iceberg io for %s: %w", lake, err)
	}
	w, _ := lake.(sink.FS)
	return &IO{ReadIO: ReadIO{fsys: lake, host: host, root: root}, fsys: w}, nil
}

// errReadOnly is the error of a change to a lake open for reading only.
var errReadOnly = fmt.Errorf("%w: the lake is open for reading only", fs.ErrPermission)

// writable maps name to its lake path if the lake may be changed.
func (w *IO) writable(op, name string) (string, error) {
	rel, err := w.rel(op, name)
	if err != nil {
		return "", err
	}
	if w.fsys == nil {
		return "", &fs.PathError{Op: op, Path: name, Err: errReadOnly}
	}
	return rel, nil
}

// errOutside is the error of a name outside the lake.
var errOutside = fmt.Errorf("%w: not an hdfs:// URL under the lake's root", fs.ErrInvalid)

// rel maps an hdfs:// URL to its lake path.
func (r *ReadIO) rel(op, name string) (string, error) {
	u, err := url.Parse(name)
	if err != nil || u.Scheme != Scheme || !strings.EqualFold(u.Host, r.host) || u.RawQuery != "" || u.Fragment != "" {
		return "", &fs.PathError{Op: op, Path: name, Err: errOutside}
	}
	p := path.Clean("/" + u.Path)
	if !within(p, r.root) {
		return "", &fs.PathError{Op: op, Path: name, Err: errOutside}
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, r.root), "/")
	if rel == "" {
		rel = "."
	}
	return rel, nil
}

// url maps a lake path back to its hdfs:// URL.
func (r *ReadIO) url(rel string) string {
	return "hdfs://" + r.host + path.Join(r.root, rel)
}

// reName rewrites an error of the lake's filesystem to name the URL.
func reName(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: op, Path: name, Err: sink.UnwrapPath(err)}
}

// Open implements io.IO.
func (r *ReadIO) Open(name string) (iceio.File, error) {
	rel, err := r.rel("open", name)
	if err != nil {
		return nil, err
	}
	f, err := r.fsys.Open(rel)
	if err != nil {
		return nil, reName("open", name, err)
	}
	return &file{ReadFile: f, name: path.Base(rel)}, nil
}

// ReadFile implements io.ReadFileIO.
func (r *ReadIO) ReadFile(name string) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, reName("read", name, err)
	}
	return b, nil
}

// Stat implements io.StatIO.
func (r *ReadIO) Stat(name string) (fs.FileInfo, error) {
	rel, err := r.rel("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := r.fsys.Stat(rel)
	return fi, reName("stat", name, err)
}

// WalkDir implements io.ListableIO: it walks the tree at root in lexical
// order, calling fn with hdfs:// URLs, as fs.WalkDir does.
func (r *ReadIO) WalkDir(root string, fn fs.WalkDirFunc) error {
	rel, err := r.rel("walk", root)
	if err != nil {
		return fn(root, nil, err)
	}
	fi, err := r.fsys.Stat(rel)
	if err != nil {
		err = fn(root, nil, reName("walk", root, err))
	} else {
		err = r.walk(root, rel, fs.FileInfoToDirEntry(fi), fn)
	}
	if errors.Is(err, fs.SkipDir) || errors.Is(err, fs.SkipAll) {
		return nil
	}
	return err
}

// walk visits name (the URL of lake path rel) and, if it is a directory,
// its tree.
func (r *ReadIO) walk(name, rel string, d fs.DirEntry, fn fs.WalkDirFunc) error {
	if err := fn(name, d, nil); err != nil || !d.IsDir() {
		if err == fs.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	infos, err := r.fsys.ReadDir(rel)
	if err != nil {
		if err := fn(name, d, reName("readdir", name, err)); err != nil {
			if err == fs.SkipDir && d.IsDir() {
				err = nil
			}
			return err
		}
		return nil
	}
	for _, fi := range infos {
		childRel := path.Join(rel, fi.Name())
		if err := r.walk(r.url(childRel), childRel, fs.FileInfoToDirEntry(fi), fn); err != nil {
			if err == fs.SkipDir {
				break
			}
			return err
		}
	}
	return nil
}

// Remove implements io.IO: it removes a file or a tree. Removing a
// missing name is not an error.
func (w *IO) Remove(name string) error { return w.RemoveAll(name) }

// RemoveAll implements io.RemoveAllIO.
func (w *IO) RemoveAll(name string) error {
	rel, err := w.writable("remove", name)
	if err != nil {
		return err
	}
	return reName("remove", name, w.fsys.RemoveAll(rel))
}

// MkdirAll implements io.MkdirAllIO.
func (w *IO) MkdirAll(name string) error {
	rel, err := w.writable("mkdir", name)
	if err != nil {
		return err
	}
	return reName("mkdir", name, w.fsys.MkdirAll(rel))
}

// Create implements io.WriteFileIO, creating missing parents. Unlike a
// local file's, it is exclusive: it fails with fs.ErrExist when name
// exists (iceberg-go creates every metadata, manifest and data file under
// a new unique name). The file's data is durable once Close returns nil.
func (w *IO) Create(name string) (iceio.FileWriter, error) {
	rel, err := w.writable("create", name)
	if err != nil {
		return nil, err
	}
	f, err := w.fsys.Create(rel)
	if errors.Is(err, fs.ErrNotExist) {
		if err = w.fsys.MkdirAll(path.Dir(rel)); err == nil {
			f, err = w.fsys.Create(rel)
		}
	}
	if err != nil {
		return nil, reName("create", name, err)
	}
	return &writer{File: f}, nil
}

// WriteFile implements io.WriteFileIO. It replaces name atomically: the
// content is written to a temporary file beside it, then renamed over it.
func (w *IO) WriteFile(name string, content []byte) error {
	tmp, err := tempName(name)
	if err != nil {
		return &fs.PathError{Op: "write", Path: name, Err: err}
	}
	f, err := w.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.Rename(tmp, name)
	}
	if err != nil {
		return errors.Join(reName("write", name, err), w.RemoveAll(tmp))
	}
	return nil
}

// tempName is a unique name beside name.
func tempName(name string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	dir, base := path.Split(name)
	return dir + "." + base + "." + hex.EncodeToString(b[:]) + ".tmp", nil
}

// Rename implements io.RenameIO: it replaces newpath when it is a file.
func (w *IO) Rename(oldpath, newpath string) error {
	from, err := w.writable("rename", oldpath)
	if err != nil {
		return err
	}
	to, err := w.rel("rename", newpath)
	if err != nil {
		return err
	}
	return reName("rename", oldpath, w.fsys.Rename(from, to))
}

// RenameNoReplace implements io.RenameNoReplaceIO with the lake's
// sink.RenameNoReplaceFS: atomically, it fails with fs.ErrExist when
// newpath exists. A lake without one fails with errors.ErrUnsupported.
func (w *IO) RenameNoReplace(oldpath, newpath string) error {
	from, err := w.writable("rename", oldpath)
	if err != nil {
		return err
	}
	to, err := w.rel("rename", newpath)
	if err != nil {
		return err
	}
	nr, ok := w.fsys.(sink.RenameNoReplaceFS)
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: fmt.Errorf("%w: %s cannot rename without replacing", errors.ErrUnsupported, w.fsys)}
	}
	return reName("rename", oldpath, nr.RenameNoReplace(from, to))
}

// file is a lake file open for reading, as iceberg-go's io.File.
type file struct {
	sink.ReadFile
	name string
}

// Stat implements fs.File.
func (f *file) Stat() (fs.FileInfo, error) { return fileInfo{name: f.name, size: f.Size()}, nil }

// fileInfo describes an open file: its name and size, all a reader asks.
type fileInfo struct {
	name string
	size int64
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o444 }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }

// writer is a lake file being written, as iceberg-go's io.FileWriter.
type writer struct {
	sink.File
}

// ReadFrom implements io.ReaderFrom.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{w.File}, r)
}
