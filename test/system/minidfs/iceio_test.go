package minidfs_test

import (
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
