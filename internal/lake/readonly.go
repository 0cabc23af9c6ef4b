package lake

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/sink"
)

// OpenReadOnly opens the lake of cfg for reading only, as a report reads
// it: it creates and changes nothing, not even the lake root (as Open
// does with a missing root, or hdfs.group), so that a user who may only
// read, such as a tenant's, can report. A missing root is an error.
func OpenReadOnly(cfg config.Config) (*ReadOnlyFS, error) {
	loc, err := cfg.Lake.Location()
	if err != nil {
		return nil, configError{err}
	}
	switch loc.Scheme {
	case config.SchemeFile:
		fi, err := os.Stat(loc.Path)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("report: lake %s: not a directory", loc.Path)
		}
		local, err := sink.NewLocal(loc.Path)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		return &ReadOnlyFS{fsys: local, root: ".", url: local.String()}, nil
	case config.SchemeHDFS:
		return openHDFSReadOnly(cfg.HDFS, loc)
	default:
		return nil, configErrorf("lake %s: scheme %q is not supported by this build", cfg.Lake.URL, loc.Scheme)
	}
}

// ReadOnlyFS is a lake open for reading only: the directory root of a
// filesystem, through [sink.ReadFS], which is all it implements. Close
// releases its connections.
type ReadOnlyFS struct {
	fsys sink.ReadFS
	root string // the lake's root in fsys, "." for fsys's own
	url  string // the lake's URL, its String
}

var _ sink.ReadFS = (*ReadOnlyFS)(nil)

// full maps a lake path to its path in fsys.
func (l *ReadOnlyFS) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(l.root, name), nil
}

// Open implements [sink.ReadFS].
func (l *ReadOnlyFS) Open(name string) (sink.ReadFile, error) {
	full, err := l.full("open", name)
	if err != nil {
		return nil, err
	}
	return l.fsys.Open(full)
}

// ReadDir implements [sink.ReadFS].
func (l *ReadOnlyFS) ReadDir(name string) ([]fs.FileInfo, error) {
	full, err := l.full("readdir", name)
	if err != nil {
		return nil, err
	}
	infos, err := l.fsys.ReadDir(full)
	return infos, l.relative(err)
}

// Stat implements [sink.ReadFS].
func (l *ReadOnlyFS) Stat(name string) (fs.FileInfo, error) {
	full, err := l.full("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := l.fsys.Stat(full)
	return fi, l.relative(err)
}

// relative names the lake path, not fsys's, in a *fs.PathError.
func (l *ReadOnlyFS) relative(err error) error {
	var pe *fs.PathError
	if l.root == "." || !errors.As(err, &pe) {
		return err
	}
	if rel, ok := strings.CutPrefix(pe.Path, l.root+"/"); ok {
		return &fs.PathError{Op: pe.Op, Path: rel, Err: pe.Err}
	}
	return err
}

// String implements [sink.ReadFS]: the lake's URL.
func (l *ReadOnlyFS) String() string { return l.url }

// Close closes the filesystem's connections.
func (l *ReadOnlyFS) Close() error { return closeFS(l.fsys) }
