package isolation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/minidfs"
)

// userPartial is a landerd user missing from tenant b's group.
const userPartial = "lander-partial"

// probesIn returns the probe directories left in the lake's ControlDir.
func probesIn(t *testing.T, lake sink.FS) []string {
	t.Helper()
	infos, err := lake.ReadDir(sink.ControlDir)
	if err != nil {
		t.Fatalf("list %s: %v", sink.ControlDir, err)
	}
	var out []string
	for _, fi := range infos {
		if strings.HasPrefix(fi.Name(), sink.ProbePrefix) {
			out = append(out, fi.Name())
		}
	}
	return out
}

// TestRunChecksTenantGroups: on Apache HDFS with permission checking on,
// the start-up check of the tenants' groups (sink.Access.Check) passes for
// a user of every group and names the one group a user lacks; landerd run
// as that user stops at start-up, exit 1, naming it, before it reads a
// record.
func TestRunChecksTenantGroups(t *testing.T) {
	c := minidfs.Start(t, minidfs.Config{DataNodes: 1})
	for user, gs := range map[string][]string{
		userLanderd: {groupFirm, tenantGroups["a"], tenantGroups["b"], tenantGroups["c"]},
		userPartial: {groupFirm, tenantGroups["a"], tenantGroups["c"]},
	} {
		if err := c.SetUserGroups(user, gs...); err != nil {
			t.Fatalf("HDFS users: %v", err)
		}
	}
	access, err := sink.NewAccess(groupFirm, tenantGroups)
	if err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T, root, user string) sink.FS {
		t.Helper()
		if err := c.Mkdir(root, user, groupFirm, 0o751); err != nil {
			t.Fatalf("lake root: %v", err)
		}
		h, err := sink.NewHDFS(c.URL()+root, sink.HDFSOptions{User: user, Group: groupFirm, CallTimeout: 20 * time.Second})
		if err != nil {
			t.Fatalf("open the lake as %s: %v", user, err)
		}
		t.Cleanup(func() {
			if err := h.Close(); err != nil {
				t.Errorf("close the lake: %v", err)
			}
		})
		return h
	}

	t.Run("every group", func(t *testing.T) {
		lake := open(t, "/lake-all", userLanderd)
		start := time.Now()
		if err := access.Check(lake); err != nil {
			t.Fatalf("check as %s: %v", userLanderd, err)
		}
		t.Logf("the check of %d groups took %s", 4, time.Since(start).Round(time.Millisecond))
		if p := probesIn(t, lake); len(p) != 0 {
			t.Errorf("check left %q", p)
		}
		st, err := c.Stat(path.Join("/lake-all", sink.ControlDir))
		if err != nil {
			t.Fatal(err)
		}
		if st.Owner != userLanderd || st.Group != groupFirm || st.Mode != sink.DirPerm {
			t.Errorf("%s: %s:%s %04o; want %s:%s %04o", sink.ControlDir, st.Owner, st.Group, st.Mode, userLanderd, groupFirm, sink.DirPerm)
		}
	})

	t.Run("a group missing", func(t *testing.T) {
		lake := open(t, "/lake-partial", userPartial)
		err := access.Check(lake)
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("check as %s = %v; want a permission error", userPartial, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, fmt.Sprintf("%q (tenant b)", tenantGroups["b"])) {
			t.Errorf("check as %s = %q; want it to name %s", userPartial, msg, tenantGroups["b"])
		}
		for _, g := range []string{tenantGroups["a"], tenantGroups["c"], groupFirm} {
			if strings.Contains(msg, g) {
				t.Errorf("check as %s = %q; names %s, which it may give", userPartial, msg, g)
			}
		}
		if p := probesIn(t, lake); len(p) != 0 {
			t.Errorf("check left %q", p)
		}
	})

	t.Run("landerd run", func(t *testing.T) {
		if err := c.Mkdir("/lake-run", userPartial, groupFirm, 0o751); err != nil {
			t.Fatalf("lake root: %v", err)
		}
		bin, err := repo.BuildLanderd(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(t.TempDir(), "landerd.yaml")
		yaml := fmt.Sprintf(`kafka:
  brokers: ["127.0.0.1:9"]
lake:
  url: %s/lake-run
hdfs:
  user: %s
  group: %s
tenancy:
  source: header
  tenants:
    - {name: a, group: %s}
    - {name: b, group: %s}
    - {name: c, group: %s}
`, c.URL(), userPartial, groupFirm, tenantGroups["a"], tenantGroups["b"], tenantGroups["c"])
		if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "run", "--config", conf, "--metrics-addr", "")
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		start := time.Now()
		err = cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("landerd run as %s: %v; want exit 1\n%s", userPartial, err, stderr.String())
		}
		out := stderr.String()
		t.Logf("landerd run as %s: exit 1 after %s: %s", userPartial, time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
		if !strings.Contains(out, fmt.Sprintf("%q (tenant b)", tenantGroups["b"])) || !strings.Contains(out, "permission denied") {
			t.Errorf("landerd run as %s: %q; want it to name %s, permission denied", userPartial, out, tenantGroups["b"])
		}
		if strings.Contains(out, `"starting"`) || strings.Contains(out, "panic") {
			t.Errorf("landerd run as %s went past its start-up check: %q", userPartial, out)
		}
		h, err := sink.NewHDFS(c.URL()+"/lake-run", sink.HDFSOptions{User: userPartial, CallTimeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if p := probesIn(t, h); len(p) != 0 {
			t.Errorf("landerd run left %q", p)
		}
		infos, err := h.ReadDir(".")
		if err != nil || len(infos) != 1 || infos[0].Name() != sink.ControlDir {
			t.Errorf("the lake after landerd run stopped: %v, %v; want only %s", infos, err, sink.ControlDir)
		}
	})
}
