package minidfs_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
	"github.com/landerd/landerd/test/system/minidfs"
)

// TestDataNodeStopped: what a lake meets when one of three DataNodes stops.
// The HDFS client cannot drop a DataNode from a write pipeline, nor ask
// the NameNode to leave one out, so:
//   - a file being written through the stopped DataNode fails;
//   - files of two replicas land again once the NameNode treats the
//     DataNode as stale (dfs.namenode.avoid.write.stale.datanode, 30 s
//     after its last heartbeat) and places blocks on the other two;
//   - files of three replicas keep failing: with no third DataNode to
//     take, the NameNode falls back to the stale one, until it declares it
//     dead (10.5 minutes with Hadoop's defaults) or it comes back.
func TestDataNodeStopped(t *testing.T) {
	c := minidfs.Start(t, minidfs.Config{
		BlockSize: 256 << 10,
		Conf: map[string]string{
			"dfs.replication":                         "2",
			"dfs.namenode.avoid.write.stale.datanode": "true",
		},
	})
	if err := c.Mkdir("/lake", userLander, userLander, 0o755); err != nil {
		t.Fatal(err)
	}
	two := openLake(t, c, "/lake", sink.HDFSOptions{User: userLander, CallTimeout: 5 * time.Second})
	three := openLake(t, c, "/lake", sink.HDFSOptions{User: userLander, CallTimeout: 5 * time.Second, Replication: 3})
	data := bytes.Repeat([]byte("landerd!"), 600_000/8) // three blocks

	f, err := three.Create("open")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data[:300_000]); err != nil {
		t.Fatal(err)
	}
	if err := c.StopDataNode(1); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	_, werr := f.Write(data[300_000:])
	if err := f.Close(); werr == nil && err == nil {
		t.Fatal("a file written through the stopped DataNode was completed")
	} else {
		t.Logf("the open file failed: %v", firstErr(werr, err))
	}

	var landed time.Duration
	var failures int
	for i := 0; ; i++ {
		err := sinktest.WriteFile(two, fmt.Sprintf("two-%d", i), data)
		if err == nil {
			landed = time.Since(stopped)
			if got := sinktest.ReadFile(t, two, fmt.Sprintf("two-%d", i)); !bytes.Equal(got, data) {
				t.Fatalf("two-%d: read %d bytes back, not the %d written", i, len(got), len(data))
			}
			break
		}
		failures++
		if time.Since(stopped) > 2*time.Minute {
			t.Fatalf("files of two replicas still fail 2 minutes after the DataNode stopped: %v", err)
		}
		time.Sleep(time.Second)
	}
	// Each block takes two of the three DataNodes, so a file may miss the
	// stopped one by chance before the NameNode avoids it: the count of
	// failures is not checked, only that files land again.
	t.Logf("files of two replicas land again %s after the DataNode stopped (%d failed before)", landed.Round(time.Second), failures)
	for i := range 3 {
		if err := sinktest.WriteFile(three, fmt.Sprintf("three-%d", i), data); err == nil {
			t.Errorf("a file of three replicas landed with one of three DataNodes stopped (attempt %d)", i)
		}
	}

	// The failed files are left open; a claim removes them.
	if err := two.RemoveAll("open"); err != nil {
		t.Fatalf("remove the file left open: %v", err)
	}
	if err := c.RestartDataNode(1); err != nil {
		t.Fatal(err)
	}
	if err := sinktest.WriteFile(three, "three-after", data); err != nil {
		t.Fatalf("a file of three replicas after the DataNode came back: %v", err)
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
