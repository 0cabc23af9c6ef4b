package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
)

// TestReportMissingLake: landerd report on an HDFS lake whose root is
// missing exits 1 saying so, and creates nothing, not even the root's
// parent. Package internal/lake tests the rest of what a report's opening
// leaves alone (OpenReadOnly).
func TestReportMissingLake(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	admin, err := sink.NewHDFS("hdfs://"+c.Addr()+"/", sink.HDFSOptions{User: "lander"})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	code, out, errOut := runCmd(t, "report", "--lake", "hdfs://"+c.Addr()+"/data/nolake")
	if code != 1 || out != "" || !strings.Contains(errOut, "/data/nolake") || !strings.Contains(errOut, "file does not exist") {
		t.Errorf("report on a missing lake: exit %d, stdout %q, stderr %q; want exit 1 saying it does not exist", code, out, errOut)
	}
	if _, err := admin.Stat("data"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("report on a missing lake created its parent: stat /data: %v", err)
	}
}
