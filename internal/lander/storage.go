package lander

import (
	"errors"
	"io/fs"

	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// countingFS counts the lake's failed operations by kind. Answers the
// publication protocol expects — a path that does not exist, an exclusive
// create that finds its file — are not failures and are not counted.
type countingFS struct {
	sink.FS
	m *metrics.Lander
}

func (c countingFS) count(op string, err error) error {
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) {
		c.m.StorageError(op)
	}
	return err
}

func (c countingFS) Create(name string) (sink.File, error) {
	f, err := c.FS.Create(name)
	if err != nil {
		return nil, c.count(metrics.OpCreate, err)
	}
	return countingFile{File: f, fs: c}, nil
}

func (c countingFS) Open(name string) (sink.ReadFile, error) {
	f, err := c.FS.Open(name)
	return f, c.count(metrics.OpOpen, err)
}

func (c countingFS) Rename(from, to string) error {
	return c.count(metrics.OpRename, c.FS.Rename(from, to))
}

func (c countingFS) MkdirAll(name string) error {
	return c.count(metrics.OpMkdir, c.FS.MkdirAll(name))
}

func (c countingFS) RemoveAll(name string) error {
	return c.count(metrics.OpRemove, c.FS.RemoveAll(name))
}

func (c countingFS) ReadDir(name string) ([]fs.FileInfo, error) {
	list, err := c.FS.ReadDir(name)
	return list, c.count(metrics.OpReadDir, err)
}

func (c countingFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := c.FS.Stat(name)
	return fi, c.count(metrics.OpStat, err)
}

// countingFile counts a file's failed writes and closes.
type countingFile struct {
	sink.File
	fs countingFS
}

func (f countingFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.fs.count(metrics.OpWrite, err)
}

func (f countingFile) Close() error { return f.fs.count(metrics.OpClose, f.File.Close()) }
