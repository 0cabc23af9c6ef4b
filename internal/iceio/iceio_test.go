package iceio_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/iceiotest"
)

var lakeSeq atomic.Int64

// TestConformance runs the suite against the in-process fake cluster.
func TestConformance(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	iceiotest.TestIO(t, func(t *testing.T) *sink.HDFS {
		h, err := sink.NewHDFS(fmt.Sprintf("hdfs://%s/lake-%d", c.Addr(), lakeSeq.Add(1)), sink.HDFSOptions{User: "lander", CallTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := h.Close(); err != nil {
				t.Error(err)
			}
		})
		return h
	})
}
