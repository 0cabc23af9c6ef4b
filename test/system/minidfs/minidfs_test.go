package minidfs_test

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
	"github.com/landerd/landerd/test/system/minidfs"
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

// TestActingAsUsers checks the launcher's commands that read as a user
// with Hadoop's own client, set an ACL and stat as the superuser.
func TestActingAsUsers(t *testing.T) {
	c := shared(t)
	if err := c.Mkdir("/as-users", userLander, userLander, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFACL("/as-users", "default:group:"+groupLake+":r-x,group:"+groupLake+":r-x"); err != nil {
		t.Fatal(err)
	}
	h := openLake(t, c, "/as-users", sink.HDFSOptions{User: userLander})
	if err := h.MkdirAll("d"); err != nil {
		t.Fatal(err)
	}
	if err := sinktest.WriteFile(h, "d/f", []byte("twelve bytes")); err != nil {
		t.Fatal(err)
	}

	st, err := c.Stat("/as-users")
	if err != nil {
		t.Fatal(err)
	}
	wantACL := []string{"group::r-x", "group:analysts:r-x", "default:user::rwx", "default:group::r-x", "default:group:analysts:r-x", "default:mask::r-x", "default:other::---"}
	if st.Owner != userLander || st.Group != userLander || st.Mode != 0o750 || !slices.Equal(st.ACL, wantACL) {
		t.Errorf("stat /as-users = %+v; want lander:lander 0750 with ACL %q", st, wantACL)
	}
	// A new file takes the default ACL: analysts may read it.
	st, err = c.Stat("/as-users/d/f")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(st.ACL, "group:analysts:r-x") {
		t.Errorf("stat /as-users/d/f = %+v; want the analysts' entry from the default ACL", st)
	}

	if names, err := c.ListAs(userAnalyst, "/as-users/d"); err != nil || !slices.Equal(names, []string{"f"}) {
		t.Errorf("analyst lists /as-users/d = %q, %v; want [f]", names, err)
	}
	if n, err := c.ReadAs(userAnalyst, "/as-users/d/f"); err != nil || n != 12 {
		t.Errorf("analyst reads /as-users/d/f = %d bytes, %v; want 12", n, err)
	}
	var ce *minidfs.ClientError
	if _, err := c.ListAs(userGlobex, "/as-users/d"); !errors.As(err, &ce) || ce.Class != "org.apache.hadoop.security.AccessControlException" || !strings.Contains(ce.Message, "Permission denied") {
		t.Errorf("globex lists /as-users/d: err = %v; want AccessControlException: Permission denied", err)
	}
	if _, err := c.ReadAs(userAnalyst, "/as-users/d/missing"); !errors.As(err, &ce) || ce.Class != "java.io.FileNotFoundException" {
		t.Errorf("analyst reads a missing file: err = %v; want FileNotFoundException", err)
	}
}
