package lake

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// refuseGroups refuses to give the groups of refuse, as HDFS refuses its
// user a group it is not a member of.
type refuseGroups struct {
	sink.FS
	refuse map[string]bool
}

func (r refuseGroups) Chgrp(name, group string) error {
	if r.refuse[group] {
		return &fs.PathError{Op: "chgrp", Path: name, Err: fs.ErrPermission}
	}
	return r.FS.Chgrp(name, group)
}

// TestGuardChecksGroups: with tenancy on an HDFS lake, guard checks at
// start-up that landerd's user may give every tenant's group and fails,
// not as a configuration error (exit 1), naming every group it may not
// give; it leaves _landerd with its group and mode and no probe in it.
func TestGuardChecksGroups(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	cfg := hdfsConfig(c, "/lake")
	cfg.HDFS.Group = "lake-firm"
	cfg.Tenancy = config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant", Tenants: []config.Tenant{
		{Name: "pearson", Group: "pearson-readers"}, {Name: "wiley", Group: "wiley-readers"}, {Name: "oreilly", Group: "oreilly-readers"},
	}}
	lake, err := openPlain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := closeFS(lake); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	noProbe := func(t *testing.T) {
		t.Helper()
		infos, err := lake.ReadDir(sink.ControlDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range infos {
			if strings.HasPrefix(fi.Name(), sink.ProbePrefix) {
				t.Errorf("start-up left %s/%s", sink.ControlDir, fi.Name())
			}
		}
		if g, p := sinktest.Group(t, lake, sink.ControlDir), sinktest.Perm(t, lake, sink.ControlDir); g != "lake-firm" || p != sink.DirPerm {
			t.Errorf("%s: %s %04o; want lake-firm %04o", sink.ControlDir, g, p, sink.DirPerm)
		}
	}

	t.Run("every group", func(t *testing.T) {
		guarded, err := guard(cfg, lake, lake)
		if err != nil {
			t.Fatalf("guard the lake: %v", err)
		}
		if guarded == lake {
			t.Errorf("guard returned the lake unguarded")
		}
		noProbe(t)
	})

	t.Run("groups refused", func(t *testing.T) {
		_, err := guard(cfg, lake, refuseGroups{lake, map[string]bool{"wiley-readers": true, "oreilly-readers": true}})
		if err == nil || errors.Is(err, ErrConfig) || !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("guard the lake = %v; want a permission error (exit 1)", err)
		}
		msg := err.Error()
		for _, want := range []string{`"wiley-readers" (tenant wiley)`, `"oreilly-readers" (tenant oreilly)`, "/lake"} {
			if !strings.Contains(msg, want) {
				t.Errorf("guard the lake = %q; want it to name %s", msg, want)
			}
		}
		if strings.Contains(msg, "pearson") {
			t.Errorf("guard the lake = %q; names a group it may give", msg)
		}
		noProbe(t)
	})

	t.Run("no tenancy", func(t *testing.T) {
		plain := cfg
		plain.Tenancy = config.Tenancy{Source: config.TenantSourceNone}
		refusing := refuseGroups{lake, map[string]bool{"lake-firm": true}}
		guarded, err := guard(plain, refusing, refusing)
		if err != nil {
			t.Fatalf("guard a lake without tenancy: %v", err)
		}
		if _, ok := guarded.(refuseGroups); !ok {
			t.Errorf("guard without tenancy wrapped the lake: %T", guarded)
		}
	})
}
