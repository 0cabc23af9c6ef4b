package minidfs_test

import (
	"fmt"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/iceiotest"
)

// TestIcebergIOConformance runs internal/iceio's conformance suite, the
// NameNode's rename without OVERWRITE included, against Apache HDFS.
func TestIcebergIOConformance(t *testing.T) {
	c := shared(t)
	iceiotest.TestIO(t, func(t *testing.T) *sink.HDFS {
		return newLake(t, c, sink.HDFSOptions{User: userLander})
	})
}

// BenchmarkRename measures the client's replacing rename on Apache HDFS,
// the baseline of BenchmarkRenameNoReplace.
func BenchmarkRename(b *testing.B) {
	benchRename(b, func(h *sink.HDFS, from, to string) error { return h.Rename(from, to) })
}

// BenchmarkRenameNoReplace measures sink.HDFS.RenameNoReplace on Apache
// HDFS: a NameNode connection of its own, the handshake and one rename2.
func BenchmarkRenameNoReplace(b *testing.B) {
	benchRename(b, func(h *sink.HDFS, from, to string) error { return h.RenameNoReplace(from, to) })
}

func benchRename(b *testing.B, rename func(h *sink.HDFS, from, to string) error) {
	c := shared(b)
	h, err := sink.NewHDFS(c.URL()+fmt.Sprintf("/tmp/bench-%d", lakeSeq.Add(1)), sink.HDFSOptions{User: userLander})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	f, err := h.Create("a")
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		from, to := "a", "b"
		if i%2 == 1 {
			from, to = "b", "a"
		}
		if err := rename(h, from, to); err != nil {
			b.Fatal(err)
		}
	}
}
