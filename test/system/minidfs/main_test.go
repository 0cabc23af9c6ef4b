package minidfs_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/landerd/landerd/test/system/minidfs"
)

// The package's tests share one cluster where they leave it as they found
// it; shared starts it on first use and TestMain stops it.
var (
	sharedOnce    sync.Once
	sharedCluster *minidfs.Cluster
	sharedErr     error
)

// Users and groups of the shared cluster.
const (
	userLander  = "lander"   // writes the lakes; groups lander, analysts
	userAnalyst = "analyst"  // reads; groups analysts, acme
	userGlobex  = "globex"   // another tenant; no groups
	groupLake   = "analysts" // a group lander may give its lake root
)

// shared returns the package's cluster, failing the test when it cannot
// start. /tmp is world-writable (1777), as on a real cluster.
func shared(t testing.TB) *minidfs.Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		c, err := minidfs.New(minidfs.Config{})
		if err != nil {
			sharedErr = err
			return
		}
		sharedCluster = c
		su, err := minidfs.Superuser()
		if err == nil {
			err = c.Mkdir("/tmp", su, "supergroup", 0o777|os.ModeSticky)
		}
		if err == nil {
			err = c.SetUserGroups(userLander, userLander, groupLake)
		}
		if err == nil {
			err = c.SetUserGroups(userAnalyst, groupLake, "acme")
		}
		sharedErr = err
	})
	if sharedErr != nil {
		t.Fatalf("start Apache HDFS (MiniDFSCluster): %v", sharedErr)
	}
	return sharedCluster
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedCluster != nil {
		fmt.Fprintf(os.Stderr, "shared Apache HDFS: peak RSS %d MiB\n", sharedCluster.PeakRSS()>>20)
		if code != 0 {
			fmt.Fprintf(os.Stderr, "HDFS launcher log %s ends:\n%s\n", sharedCluster.LogPath(), sharedCluster.LogTail(40))
		}
		if err := sharedCluster.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "stop Apache HDFS (MiniDFSCluster): %v\n", err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "minidfs: goroutines leaked: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
