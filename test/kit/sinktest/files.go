package sinktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/sink"
)

// WriteFile creates name on fsys holding data, and closes it: the error
// of a failed write is joined with the Close's.
func WriteFile(fsys sink.CreateFS, name string, data []byte) error {
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
func ReadFile(t *testing.T, fsys sink.ReadFS, name string) []byte {
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

// LocalGroup returns a group the current user may give its local files,
// other than its primary group where it can: one of its supplementary
// groups, or for the superuser "daemon" (present on every Linux system);
// else its primary group.
func LocalGroup(t testing.TB) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	if u.Uid == "0" {
		if _, err := user.LookupGroup("daemon"); err == nil {
			return "daemon"
		}
	}
	gids, err := u.GroupIds()
	if err != nil {
		t.Fatalf("groups of %s: %v", u.Username, err)
	}
	gid := u.Gid
	for _, g := range gids {
		if g != u.Gid {
			gid = g
			break
		}
	}
	g, err := user.LookupGroupId(gid)
	if err != nil {
		t.Fatalf("group %s: %v", gid, err)
	}
	return g.Name
}

// Schema is the schema of the rows Rows builds.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "kafka_partition", Type: arrow.PrimitiveTypes.Int32},
	{Name: "kafka_offset", Type: arrow.PrimitiveTypes.Int64},
	{Name: "keen_id", Type: arrow.BinaryTypes.String},
}, nil)

// Rows builds one row of Schema per offset; the caller releases it.
func Rows(partition int32, offsets []int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, Schema)
	defer b.Release()
	for _, off := range offsets {
		b.Field(0).(*array.Int32Builder).Append(partition)
		b.Field(1).(*array.Int64Builder).Append(off)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("keen-%d-%d", partition, off))
	}
	return b.NewRecordBatch()
}

// Flush is one data file of a flush: its table, Hive partition and
// Kafka offsets.
type Flush struct {
	Table, Hive string
	Offsets     []int64
}

// WriteFlush creates p's data files of a flush, one per element of files,
// holding Rows of their offsets, and returns them unpublished.
func WriteFlush(p *sink.Partition, files []Flush) ([]*sink.ParquetFile, error) {
	var out []*sink.ParquetFile
	for _, f := range files {
		pf, err := p.Create(f.Table, f.Hive, Schema, sink.WriterOptions{Compression: "snappy"})
		if err != nil {
			return out, err
		}
		out = append(out, pf)
		rec := Rows(p.Partition(), f.Offsets)
		err = pf.Write(rec, slices.Min(f.Offsets), slices.Max(f.Offsets))
		rec.Release()
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Publish writes and publishes a flush of p covering offsets first..last.
func Publish(ctx context.Context, p *sink.Partition, first, last int64, files []Flush) error {
	pfs, err := WriteFlush(p, files)
	if err == nil {
		err = p.Publish(ctx, pfs, first, last)
	}
	if err != nil {
		return errors.Join(err, p.Abandon())
	}
	return nil
}

// Age sets the modification time of every file under the local folder
// dir the duration by back, as if that much time had passed since each
// was written.
func Age(t testing.TB, dir string, by time.Duration) {
	t.Helper()
	when := time.Now().Add(-by)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, when, when)
	})
	if err != nil {
		t.Fatal(err)
	}
}
