package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// TestLakeCheckCatchesViolations proves that the exactly-once check the
// other tests rely on fails when the lake breaks the contract: it lands a
// small topic, then damages copies of the lake in the ways a broken
// publication protocol would, and expects the check to name each problem.
func TestLakeCheckCatchesViolations(t *testing.T) {
	s := setup{partitions: 2, maxFileRecords: 500, maxFileAge: time.Second, shutdown: 10 * time.Second}
	h := newHarness(t, s, 7)
	ctx := t.Context()
	if err := h.produce(ctx, 3000); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, h, "landerd")
	d.waitAssigned(t, time.Minute)
	h.waitLanded(h.endOffsets(ctx), time.Minute, d)
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	if _, problems, err := h.verifyLake(ctx, h.lake()); err != nil || len(problems) > 0 {
		t.Fatalf("the undamaged lake fails the check: %v %q", err, problems)
	}

	lake := h.lake()
	first := func(table string) sink.DataFile {
		t.Helper()
		files, err := sink.ListDataFiles(lake, table)
		if err != nil || len(files) < 2 {
			t.Fatalf("%s: %d files, %v; want at least 2", table, len(files), err)
		}
		return files[1]
	}
	// A second copy of a published file, in another Hive partition: what
	// a flush published twice looks like.
	duplicate := func(table string) func(string) error {
		return func(dir string) error {
			f := first(table)
			body, err := os.ReadFile(filepath.Join(dir, f.Path))
			if err != nil {
				return err
			}
			other := filepath.Join(dir, table, "ingest_date=1999-12-31")
			if err := os.MkdirAll(other, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(other, filepath.Base(f.Path)), body, 0o644)
		}
	}
	remove := func(table string) func(string) error {
		return func(dir string) error { return os.Remove(filepath.Join(dir, first(table).Path)) }
	}
	write := func(rel string) func(string) error {
		return func(dir string) error {
			name := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				return err
			}
			return os.WriteFile(name, []byte("partial"), 0o644)
		}
	}
	tests := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"a gap where the test deletes nothing", h.addGap, "the lake records 1 gaps"},
		{"attempts file published twice", duplicate(flatten.TableAttempts), "is in the lake 2 times"},
		{"quarantine file published twice", duplicate(flatten.TableQuarantine), "is in the lake 2 times"},
		{"attempts file lost", remove(flatten.TableAttempts), "in neither attempts nor _quarantine"},
		{"quarantine file lost", remove(flatten.TableQuarantine), "in neither attempts nor _quarantine"},
		{"questions file lost", remove(flatten.TableQuestions), "its attempt has question_count"},
		{"questions file published twice", duplicate(flatten.TableQuestions), "appears twice"},
		{"temporary file in a table", write(flatten.TableAttempts + "/ingest_date=2020-01-01/x.parquet.tmp"), "temporary file left behind"},
		{"orphan in the control directory", write(sink.PartitionDir(h.topic, 1) + "/tmp/e0000000001-000001-attempts.parquet.tmp"), "temporary file left behind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { h.checkCatches(t, tc.damage, tc.want) })
	}
	t.Run("a gap over landed offsets", func(t *testing.T) {
		h.allowGaps = true
		defer func() { h.allowGaps = false }()
		h.checkCatches(t, h.addGap, "is in the lake 1 times, and recorded as lost")
	})
}

// TestLakeCheckCatchesTenantViolations proves that the check fails when a
// multi-tenant lake puts a record under the wrong tenant or loses the
// tenant level: it lands a small topic of three tenants, then moves files
// of a copy of the lake where a broken tenancy would put them.
func TestLakeCheckCatchesTenantViolations(t *testing.T) {
	s := setup{partitions: 2, maxFileRecords: 500, maxFileAge: time.Second, shutdown: 10 * time.Second, tenancy: true}
	h := newHarness(t, s, 8)
	ctx := t.Context()
	if err := h.produce(ctx, 3000); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, h, "landerd")
	d.waitAssigned(t, time.Minute)
	h.waitLanded(h.endOffsets(ctx), time.Minute, d)
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	sum, problems, err := h.verifyLake(ctx, h.lake())
	if err != nil || len(problems) > 0 {
		t.Fatalf("the undamaged lake fails the check: %v %q", err, problems)
	}
	t.Logf("lake: %s", sum)

	// move renames the first file of table under tenant from to the Hive
	// partition hive(the file's ingest_date element).
	move := func(table, from string, hive func(date string) string) func(string) error {
		return func(dir string) error {
			files, err := sink.ListDataFiles(h.lake(), table)
			if err != nil {
				return err
			}
			for _, f := range files {
				if tenant, _ := sink.TenantOf(f.Hive); tenant != from {
					continue
				}
				_, date, _ := strings.Cut(f.Hive, "/")
				to := filepath.Join(dir, table, filepath.FromSlash(hive(date)), filepath.Base(f.Path))
				if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
					return err
				}
				return os.Rename(filepath.Join(dir, filepath.FromSlash(f.Path)), to)
			}
			return fmt.Errorf("no %s file under tenant %s", table, from)
		}
	}
	under := func(tenant string) func(string) string {
		return func(date string) string { return sink.TenantHive(tenant, date) }
	}
	tests := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"a gap where the test deletes nothing", h.addGap, "the lake records 1 gaps"},
		{"attempts under another tenant", move(flatten.TableAttempts, "acme", under("pearson")), `is under tenant "pearson"`},
		{"unassigned records under a tenant", move(flatten.TableQuarantine, unassigned, under("globex")), `want tenant "_unassigned"`},
		{"questions under another tenant", move(flatten.TableQuestions, "globex", under("acme")), "its attempt under"},
		{"no tenant level", move(flatten.TableAttempts, "pearson", func(date string) string { return date }), "want tenant=T/ingest_date=D"},
		{"an unknown tenant", move(flatten.TableAttempts, "pearson", under("initech")), "want tenant=T/ingest_date=D"},
		{"unassigned attempts", move(flatten.TableAttempts, "pearson", under(unassigned)), "want tenant=T/ingest_date=D"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { h.checkCatches(t, tc.damage, tc.want) })
	}
}

// checkCatches damages a copy of the harness's lake and fails t unless
// the lake check reports a problem mentioning want.
// addGap records, in the copy of the lake at dir, a gap of lost offsets
// 0..9 of partition 1, which the lake holds.
func (h *harness) addGap(dir string) error {
	name := filepath.Join(dir, filepath.FromSlash(sink.PartitionDir(h.topic, 1)), "state.json")
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var st sink.State
	if err := json.Unmarshal(body, &st); err != nil {
		return err
	}
	st.Gaps = append(st.Gaps, sink.Gap{First: 0, Last: 9, Reason: sink.GapRetention, Skipped: true})
	if body, err = json.Marshal(st); err != nil {
		return err
	}
	return os.WriteFile(name, body, 0o644)
}

func (h *harness) checkCatches(t *testing.T, damage func(dir string) error, want string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(h.lakeDir)); err != nil {
		t.Fatal(err)
	}
	if err := damage(dir); err != nil {
		t.Fatal(err)
	}
	damaged, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, problems, err := h.verifyLake(context.Background(), damaged)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(problems, "\n"), want) {
		t.Errorf("problems %q do not mention %q", problems, want)
	}
}
