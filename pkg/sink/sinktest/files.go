package sinktest

import (
	"errors"
	"io"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
)

// WriteFile creates name on fsys holding data, and closes it: the error
// of a failed write is joined with the Close's.
func WriteFile(fsys sink.FS, name string, data []byte) error {
	f, err := fsys.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// ReadFile reads name on fsys whole, failing the test when it cannot.
func ReadFile(t *testing.T, fsys sink.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}
