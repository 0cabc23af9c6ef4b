package isolation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/minidfs"
)

// reportRoot is the lake of real attempts the report tests land.
const reportRoot = "/reportlake"

// reportTenants are the tenants of the report lake and their sizes.
var reportTenants = []struct {
	name  string
	count int
}{{"a", 300}, {"b", 120}}

// landAttempts lands generated attempts of reportTenants (with resends
// and quarantined records) and a few records of no tenant, as landerd's
// user through sink.WithAccess, in a new lake root at reportRoot of c.
// It returns the report expected of each tenant, computed from its
// generated records alone, and of the whole lake under "".
func landAttempts(t *testing.T, c *minidfs.Cluster) map[string]*report.Report {
	t.Helper()
	if err := c.Mkdir(reportRoot, userLanderd, groupFirm, 0o751); err != nil {
		t.Fatalf("lake root: %v", err)
	}
	if err := c.SetFACL(reportRoot, "default:group:"+groupAnalysts+":r-x,group:"+groupAnalysts+":r-x"); err != nil {
		t.Fatalf("analysts' ACL: %v", err)
	}
	h, err := sink.NewHDFS(c.URL()+reportRoot, sink.HDFSOptions{User: userLanderd, Group: groupFirm, CallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("open the lake as %s: %v", userLanderd, err)
	}
	defer func() {
		if err := h.Close(); err != nil {
			t.Errorf("close the lake: %v", err)
		}
	}()
	access, err := sink.NewAccess(groupFirm, tenantGroups)
	if err != nil {
		t.Fatal(err)
	}
	lake := sink.WithAccess(h, access)
	ctx := context.Background()
	p, err := sink.Claim(ctx, lake, topic, 0)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	opts := report.DefaultOptions()
	url := c.URL() + reportRoot
	accs := map[string]*report.Accumulator{"": report.NewAccumulator(opts)}
	var unassigned int64
	next := int64(0)
	hive := func(tenant string) string { return sink.TenantKey + "=" + tenant + "/ingest_date=2026-11-24" }
	// One flush per tenant, in offset order.
	for i, tn := range reportTenants {
		o := opts
		o.Tenant = tn.name
		accs[tn.name] = report.NewAccumulator(o)
		g := attemptgen.New(attemptgen.Config{Seed: int64(40 + i), BadRate: 0.05, DuplicateRate: 0.05})
		b := flatten.NewBatch(memory.DefaultAllocator)
		var dec flatten.Decoder
		first := next
		for range tn.count {
			r := g.Next()
			meta := flatten.Meta{Topic: topic, Partition: 0, Offset: next, Key: r.Key, LandedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
			next++
			a, err := dec.Decode(r.Value)
			var why *flatten.InvalidError
			switch {
			case errors.As(err, &why):
				b.AppendQuarantine(&meta, why, r.Value)
			case err != nil:
				t.Fatal(err)
			default:
				b.AppendAttempt(&meta, a)
			}
		}
		out := b.Take()
		b.Release()
		if out.Attempts == nil || out.Quarantine == nil {
			t.Fatalf("tenant %s: generated no attempt or no quarantined record", tn.name)
		}
		for _, acc := range []*report.Accumulator{accs[""], accs[tn.name]} {
			if err := acc.Add(out.Attempts); err != nil {
				t.Fatal(err)
			}
			acc.AddFile()
			acc.AddQuarantined(out.Quarantine.NumRows())
		}
		publishRecords(t, p, hive(tn.name), out, first, next-1)
		out.Release()
	}
	// Records of no tenant, quarantined under _unassigned.
	g := attemptgen.New(attemptgen.Config{Seed: 49})
	b := flatten.NewBatch(memory.DefaultAllocator)
	first := next
	for range 3 {
		r := g.Next()
		meta := flatten.Meta{Topic: topic, Partition: 0, Offset: next, Key: r.Key, LandedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
		next++
		b.AppendQuarantine(&meta, &flatten.InvalidError{Reason: "tenant_missing", Msg: "no tenant header"}, r.Value)
	}
	out := b.Take()
	b.Release()
	unassigned = out.Quarantine.NumRows()
	accs[""].AddQuarantined(unassigned)
	publishRecords(t, p, hive(sink.UnassignedTenant), out, first, next-1)
	out.Release()

	want := map[string]*report.Report{}
	for name, acc := range accs {
		rep := acc.Report(url)
		rep.MultiTenant = true
		rep.Tenants = []string{name}
		if name == "" {
			rep.Tenants = []string{"a", "b"}
			rep.UnassignedRows = unassigned
		}
		want[name] = rep
	}
	return want
}

// publishRecords publishes the flattened records of offsets first..last
// of p as one flush: one data file per table in hive.
func publishRecords(t *testing.T, p *sink.Partition, hive string, out flatten.Records, first, last int64) {
	t.Helper()
	var files []*sink.ParquetFile
	for _, tw := range []struct {
		table string
		tbl   *flatten.Table
	}{
		{flatten.TableAttempts, flatten.AttemptsTable},
		{flatten.TableQuestions, flatten.QuestionsTable},
		{flatten.TableQuarantine, flatten.QuarantineTable},
	} {
		rec := out.Attempts
		switch tw.table {
		case flatten.TableQuestions:
			rec = out.Questions
		case flatten.TableQuarantine:
			rec = out.Quarantine
		}
		if rec == nil {
			continue
		}
		pf, err := p.Create(tw.table, hive, tw.tbl.Schema, sink.WriterOptions{})
		if err != nil {
			t.Fatalf("create %s/%s: %v", tw.table, hive, err)
		}
		files = append(files, pf)
		// The file's offsets are those of the flush: they bound its rows'.
		if err := pf.Write(rec, first, last); err != nil {
			t.Fatalf("write %s/%s: %v", tw.table, hive, err)
		}
	}
	if err := p.Publish(context.Background(), files, first, last); err != nil {
		t.Fatalf("publish %s offsets %d..%d: %v", hive, first, last, err)
	}
}

// landerdReport runs the built landerd report on the lake at url as user
// (HADOOP_USER_NAME) with args, and returns its exit code, stdout and
// stderr.
func landerdReport(t *testing.T, bin, user, url string, args ...string) (int, []byte, string) {
	t.Helper()
	return landerdReportEnv(t, bin, []string{"HADOOP_USER_NAME=" + user}, url, args...)
}

// landerdReportEnv runs the built landerd report on the lake at url with
// args and env added to the environment.
func landerdReportEnv(t *testing.T, bin string, env []string, url string, args ...string) (int, []byte, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"report", "--lake", url, "--json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.Bytes(), stderr.String()
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode(), stdout.Bytes(), stderr.String()
	default:
		t.Fatalf("landerd report (%q): %v\n%s", env, err, stderr.String())
		return 0, nil, ""
	}
}

// decodeReport decodes the JSON report of landerd report.
func decodeReport(t *testing.T, what string, out []byte) report.Report {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	return rep
}

// sameCounts checks the figures of got that do not depend on the order
// the rows were read in against want's.
func sameCounts(t *testing.T, what string, got, want report.Report) {
	t.Helper()
	type counts struct {
		Tenant                    string
		Tenants                   []string
		Files                     int
		Quarantined, Unassigned   int64
		Raw, Dedup, Assess, Count int64
	}
	of := func(r report.Report) counts {
		return counts{r.Tenant, r.Tenants, r.Files, r.QuarantinedRows, r.UnassignedRows,
			r.Raw.Attempts, r.Dedup.Attempts, r.Dedup.Assessments, r.Dedup.CourseAttempts}
	}
	if g, w := of(got), of(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// TestReportAsTenant runs the built landerd report on a multi-tenant lake
// on Apache HDFS with permission checking on: a tenant's user reports on
// its own tenant, as the analyst and the superuser do, is refused another
// tenant's report with HDFS's permission error and a non-zero exit, and
// the analyst reports on the whole lake. The report changes nothing in the
// lake.
func TestReportAsTenant(t *testing.T) {
	c := minidfs.Start(t, minidfs.Config{DataNodes: 1})
	for user, gs := range map[string][]string{
		userLanderd: {groupFirm, tenantGroups["a"], tenantGroups["b"], tenantGroups["c"]},
		userAlice:   {tenantGroups["a"]},
		userAna:     {groupAnalysts},
	} {
		if err := c.SetUserGroups(user, gs...); err != nil {
			t.Fatalf("HDFS users: %v", err)
		}
	}
	want := landAttempts(t, c)
	if want["a"].Raw.Attempts == want["a"].Dedup.Attempts {
		t.Fatalf("tenant a has no resend: %+v", want["a"])
	}
	bin, err := repo.BuildLanderd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	super, err := minidfs.Superuser()
	if err != nil {
		t.Fatal(err)
	}
	url := c.URL() + reportRoot
	before := treeOf(t, c, reportRoot)

	reports := map[string]report.Report{}
	for _, user := range []string{userAlice, userAna, super} {
		start := time.Now()
		code, out, stderr := landerdReport(t, bin, user, url, "--tenant", "a")
		if code != 0 {
			t.Fatalf("landerd report --tenant a as %s: exit %d\n%s", user, code, stderr)
		}
		t.Logf("landerd report --tenant a as %s: %s", user, time.Since(start).Round(time.Millisecond))
		reports[user] = decodeReport(t, "report --tenant a as "+user, out)
		sameCounts(t, "report --tenant a as "+user+" vs tenant a's generated records", reports[user], *want["a"])
	}
	for _, user := range []string{userAna, super} {
		if got, want := reports[userAlice], reports[user]; !reflect.DeepEqual(got, want) {
			t.Errorf("report --tenant a as %s differs from %s's:\n got %+v\nwant %+v", userAlice, user, got, want)
		}
	}

	t.Run("configured user and group", func(t *testing.T) {
		// hdfs.user from LANDERD_HDFS_USER; hdfs.group, which run gives
		// the lake root, is not the root's and alice may not give it: the
		// report leaves the root alone.
		conf := filepath.Join(t.TempDir(), "landerd.yaml")
		if err := os.WriteFile(conf, []byte("lake:\n  url: "+url+"\nhdfs:\n  group: "+tenantGroups["a"]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := landerdReportEnv(t, bin, []string{"LANDERD_HDFS_USER=" + userAlice, "HADOOP_USER_NAME=" + userAna},
			url, "--config", conf, "--tenant", "a")
		if code != 0 {
			t.Fatalf("landerd report --config --tenant a as LANDERD_HDFS_USER=alice: exit %d\n%s", code, stderr)
		}
		if got := decodeReport(t, "report --config --tenant a", out); !reflect.DeepEqual(got, reports[userAlice]) {
			t.Errorf("report --config --tenant a as alice:\n got %+v\nwant %+v", got, reports[userAlice])
		}
		// As alice indeed: tenant b stays closed.
		code, _, stderr = landerdReportEnv(t, bin, []string{"LANDERD_HDFS_USER=" + userAlice, "HADOOP_USER_NAME=" + userAna},
			url, "--config", conf, "--tenant", "b")
		if code != 1 || !strings.Contains(stderr, "permission denied") {
			t.Errorf("landerd report --config --tenant b as LANDERD_HDFS_USER=alice: exit %d, %s; want refused", code, stderr)
		}
	})

	t.Run("another tenant", func(t *testing.T) {
		code, out, stderr := landerdReport(t, bin, userAlice, url, "--tenant", "b")
		if code != 1 || len(out) != 0 {
			t.Errorf("landerd report --tenant b as alice: exit %d, stdout %q; want exit 1 and no report", code, out)
		}
		t.Logf("landerd report --tenant b as alice: exit %d: %s", code, strings.TrimSpace(stderr))
		if !strings.Contains(stderr, "attempts/tenant=b") || !strings.Contains(stderr, "permission denied") || strings.Contains(stderr, "panic") {
			t.Errorf("landerd report --tenant b as alice: stderr %q; want a permission denied on attempts/tenant=b", stderr)
		}
		// Nor the whole lake: alice may not list the tables.
		code, out, stderr = landerdReport(t, bin, userAlice, url)
		if code != 1 || len(out) != 0 || !strings.Contains(stderr, "permission denied") {
			t.Errorf("landerd report as alice: exit %d, stdout %q, stderr %q; want exit 1, permission denied", code, out, stderr)
		}
	})

	t.Run("analyst, every tenant", func(t *testing.T) {
		code, out, stderr := landerdReport(t, bin, userAna, url)
		if code != 0 {
			t.Fatalf("landerd report as ana: exit %d\n%s", code, stderr)
		}
		got := decodeReport(t, "report as ana", out)
		sameCounts(t, "report as ana vs every tenant's generated records", got, *want[""])
		b := want["b"]
		if got.Raw.Attempts != want["a"].Raw.Attempts+b.Raw.Attempts || got.UnassignedRows == 0 {
			t.Errorf("report as ana: %d attempts, %d unassigned; want a's and b's %d + %d, some unassigned",
				got.Raw.Attempts, got.UnassignedRows, want["a"].Raw.Attempts, b.Raw.Attempts)
		}
	})

	if after := treeOf(t, c, reportRoot); !reflect.DeepEqual(after, before) {
		t.Errorf("the reports changed the lake:\nbefore %v\nafter  %v", before, after)
	}
}

// treeOf lists, as the superuser, every path under root with its size,
// owner, group and mode.
func treeOf(t *testing.T, c *minidfs.Cluster, root string) []string {
	t.Helper()
	super, err := minidfs.Superuser()
	if err != nil {
		t.Fatal(err)
	}
	// The lake's parent: opening the lake itself would create it.
	h, err := sink.NewHDFS(c.URL()+path.Dir(root), sink.HDFSOptions{User: super, CallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("open %s as %s: %v", path.Dir(root), super, err)
	}
	defer h.Close()
	var out []string
	var walk func(name string, size int64, dir bool)
	walk = func(name string, size int64, dir bool) {
		st, err := c.Stat(path.Join(path.Dir(root), name))
		if err != nil {
			t.Fatalf("stat %s: %v", name, err)
		}
		out = append(out, fmt.Sprintf("%s %d %s:%s %04o %q", name, size, st.Owner, st.Group, st.Mode, st.ACL))
		if !dir {
			return
		}
		infos, err := h.ReadDir(name)
		if err != nil {
			t.Fatalf("list %s: %v", name, err)
		}
		for _, fi := range infos {
			walk(path.Join(name, fi.Name()), fi.Size(), fi.IsDir())
		}
	}
	walk(path.Base(root), 0, true)
	return out
}
