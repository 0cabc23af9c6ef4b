package sink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// A table format's data folders: files are published where DataDirs says
// and the state records their final paths; a folder outside the lake or
// in the control directory fails the Create of its file.
func TestDataDirs(t *testing.T) {
	ctx := context.Background()
	lake := newLocal(t)
	p, err := sink.Claim(ctx, lake, "t1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetDataDirs(nil); err == nil {
		t.Error("SetDataDirs(nil) succeeded")
	}
	for _, bad := range []string{"", ".", "../outside", "/abs", sink.ControlDir, sink.ControlDir + "/t1"} {
		if p, err = sink.Claim(ctx, lake, "t1", 0); err != nil {
			t.Fatal(err)
		}
		if err := p.SetDataDirs(func(string, string) string { return bad }); err != nil {
			t.Fatal(err)
		}
		_, err := sinktest.WriteFlush(p, []sinktest.Flush{{Table: "attempts", Hive: "ingest_date=2026-11-24", Offsets: []int64{0}}})
		if err == nil || !strings.Contains(err.Error(), "invalid data folder") {
			t.Errorf("data folder %q: Create = %v, want invalid data folder", bad, err)
		}
		if err := p.Abandon(); err != nil {
			t.Fatal(err)
		}
	}
	if p, err = sink.Claim(ctx, lake, "t1", 0); err != nil {
		t.Fatal(err)
	}
	if err := p.SetDataDirs(func(table, hive string) string { return "ns/" + table + "/data/" + hive }); err != nil {
		t.Fatal(err)
	}
	if err := sinktest.Publish(ctx, p, 0, 1, []sinktest.Flush{{Table: "attempts", Hive: "ingest_date=2026-11-24", Offsets: []int64{0, 1}}}); err != nil {
		t.Fatal(err)
	}
	want := "ns/attempts/data/ingest_date=2026-11-24/" + sink.FileName("t1", 0, 0, 1)
	st := p.Committed()
	if len(st.Files) != 1 || st.Files[0].Final != want {
		t.Fatalf("state files %+v, want one at %s", st.Files, want)
	}
	if _, err := lake.Stat(want); err != nil {
		t.Errorf("published file: %v", err)
	}
}
