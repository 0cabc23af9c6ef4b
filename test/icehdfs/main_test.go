package icehdfs

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/landerd/landerd/test/system/minidfs"
)

// The package's tests share one cluster, each in a lake root of its own;
// shared starts it on first use and TestMain stops it.
var (
	sharedOnce    sync.Once
	sharedCluster *minidfs.Cluster
	sharedErr     error
)

// shared returns the package's cluster, failing the test when it cannot
// start.
func shared(t *testing.T) *minidfs.Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		sharedCluster, sharedErr = minidfs.New(minidfs.Config{})
	})
	if sharedErr != nil {
		t.Fatalf("start Apache HDFS (MiniDFSCluster): %v", sharedErr)
	}
	return sharedCluster
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedCluster != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "HDFS launcher log %s ends:\n%s\n", sharedCluster.LogPath(), sharedCluster.LogTail(40))
		}
		if err := sharedCluster.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "stop Apache HDFS (MiniDFSCluster): %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
