package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landerd/landerd/internal/report"
)

func TestReportUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"report", "--pass-threshold", "1.5"}, 2, "--pass-threshold must be in [0, 1]"},
		{[]string{"report", "--top", "0"}, 2, "--top at least 1"},
		{[]string{"report", "--lake", "s3://bucket/lake"}, 2, "lake.url"},
		{[]string{"report", "--lake", filepath.Join(t.TempDir(), "missing")}, 1, "no such file or directory"},
		{[]string{"report", "extra"}, 2, "unexpected arguments"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.contains) {
			t.Errorf("%q: exit %d, output %q; want exit %d containing %q", tt.args, code, out+errOut, tt.code, tt.contains)
		}
	}
}

// landDemo runs the demo with args into a new lake, returns the lake's
// directory and the demo's output.
func landDemo(t *testing.T, args ...string) (dir, out string) {
	t.Helper()
	dir = t.TempDir()
	code, out, errOut := runCmd(t, append([]string{"demo", "--lake", dir}, args...)...)
	if code != 0 {
		t.Fatalf("demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	return dir, out
}

// reportJSON runs landerd report --json on the lake in dir with extra flags.
func reportJSON(t *testing.T, dir string, args ...string) report.Report {
	t.Helper()
	code, out, errOut := runCmd(t, append([]string{"report", "--json", "--lake", dir}, args...)...)
	if code != 0 {
		t.Fatalf("report: exit %d\nstderr:\n%s", code, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("decode report --json: %v\n%s", err, out)
	}
	return rep
}

// TestDemoPrintsReport: the demo ends with the report, and report --json
// accounts for every generated record.
func TestDemoPrintsReport(t *testing.T) {
	const count = 1500
	dir, out := landDemo(t, "--count", "1500", "--bad-rate", "0.02", "--partitions", "3")
	for _, want := range []string{"Business questions, answered from file://", `people who took "Learning Git"`, "most taken", "least taken"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	rep := reportJSON(t, dir)
	if rep.Raw.Attempts+rep.QuarantinedRows != count || rep.QuarantinedRows == 0 {
		t.Errorf("report: %d attempts + %d quarantined, want %d in all, some quarantined", rep.Raw.Attempts, rep.QuarantinedRows, count)
	}
	if rep.Dedup.Attempts >= rep.Raw.Attempts {
		t.Errorf("dedup attempts %d, raw %d: the demo resends about 1%% of attempts", rep.Dedup.Attempts, rep.Raw.Attempts)
	}
	if len(rep.Raw.Topics) != 1 || rep.Raw.Topics[0].Topic != demoTopic {
		t.Errorf("topics %+v, want only %s", rep.Raw.Topics, demoTopic)
	}
}
