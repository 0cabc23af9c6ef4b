package minidfs_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
)

// TestLauncherCommands checks the launcher's protocol: mkdir creates a
// directory with the owner, group and mode asked for; bad commands are
// refused with a message and leave the launcher working.
func TestLauncherCommands(t *testing.T) {
	c := shared(t)
	if !strings.HasPrefix(c.URL(), "hdfs://127.0.0.1:") || c.Addr() != strings.TrimPrefix(c.URL(), "hdfs://") {
		t.Errorf("URL %q, Addr %q: want hdfs://127.0.0.1:PORT and 127.0.0.1:PORT", c.URL(), c.Addr())
	}
	if err := c.Mkdir("/launcher/a/b", "owner1", "group1", 0o750); err != nil {
		t.Fatal(err)
	}
	h := openLake(t, c, "/launcher", sink.HDFSOptions{User: "owner1"})
	fi, err := h.Stat("a/b")
	if err != nil {
		t.Fatal(err)
	}
	if o := fi.(owned); !fi.IsDir() || fi.Mode().Perm() != 0o750 || o.Owner() != "owner1" || o.OwnerGroup() != "group1" {
		t.Errorf("a/b: dir %v, %v %s:%s; want a directory, -rwxr-x--- owner1:group1", fi.IsDir(), fi.Mode().Perm(), o.Owner(), o.OwnerGroup())
	}
	// The parents belong to the superuser, and owner1 may not write there.
	if err := h.MkdirAll("a/c"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("owner1 creating a/c: err = %v, want fs.ErrPermission", err)
	}

	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"datanode out of range", func() error { return c.StopDataNode(7) }, "want 0..2"},
		{"restart out of range", func() error { return c.RestartDataNode(-1) }, "want 0..2"},
		{"bad mode", func() error { return c.Mkdir("/x", "a", "b", os.FileMode(0o7777)|os.ModeSetuid) }, ""},
		{"path with a space", func() error { return c.Mkdir("/a b", "a", "b", 0o755) }, "takes 4 arguments"},
	} {
		err := tc.call()
		if tc.want == "" {
			continue // only that the launcher still answers, below
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	if err := c.WaitActive(); err != nil {
		t.Fatalf("the launcher stopped answering after bad commands: %v", err)
	}
}
