package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/report"
)

func TestCompactUsage(t *testing.T) {
	hive := t.TempDir()
	cases := []struct {
		args     []string
		contains string
	}{
		{[]string{"compact", "--table", "answers", "--lake", hive}, `--table "answers": not one of`},
		{[]string{"compact", "--target-file-size", "64KiB", "--lake", hive}, "at least 1MiB"},
		{[]string{"compact", "--target-file-size", "big", "--lake", hive}, "at least 1MiB"},
		{[]string{"compact", "--tenant", "a/b", "--lake", hive}, "--tenant"},
		{[]string{"compact", "--lake", hive}, "lake.format is hive: only Iceberg tables are compacted"},
		{[]string{"expire", "--retain-last", "0", "--lake", hive}, "--retain-last at least 1"},
		{[]string{"expire", "--table", "answers", "--lake", hive}, `--table "answers": not one of`},
		{[]string{"expire", "--lake", hive}, "lake.format is hive: only Iceberg tables have snapshots"},
		{[]string{"remove-orphans", "--older-than", "30m", "--lake", hive}, "--older-than 30m0s: must be at least 1h0m0s"},
		{[]string{"remove-orphans", "--lake", hive}, "lake.format is hive: only Iceberg tables have orphan files"},
	}
	for _, c := range cases {
		code, out, errOut := runCmd(t, c.args...)
		if code != 2 || !strings.Contains(out+errOut, c.contains) {
			t.Errorf("%q: exit %d, output %q; want exit 2 containing %q", c.args, code, out+errOut, c.contains)
		}
	}
}

// TestCompactIcebergOnHDFS lands eight rounds of records into Iceberg
// tables of the hadoop catalog on the test cluster, so that each table
// has many small files, then runs `landerd compact --dry-run` (which
// changes nothing) and `landerd compact`: the report reads the same
// figures from the compacted tables, and a second compaction finds
// nothing left to do; then `landerd expire` of every snapshot it may,
// after which the report is still the same, and `landerd remove-orphans`,
// which finds no file old enough to delete.
func TestCompactIcebergOnHDFS(t *testing.T) {
	ctx := context.Background()
	b, err := fakekafka.Start(fakekafka.Config{Topic: demoTopic, Partitions: 2, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := fakehdfs.Start(t, fakehdfs.Config{})
	file := icebergHDFSConfig(t, b.Addr(), c.Addr(), "landerd-compact-test")
	f := runFlags{config: file}
	cfg, err := f.load()
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := lake.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := fsys.Close(); err != nil {
			t.Errorf("close lake: %v", err)
		}
	}()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runLander(runCtx, cfg, fsys, zap.NewNop(), nil) }()
	rounds, perRound := 8, 60
	if testing.Short() {
		rounds = 5 // a partition needs 5 small files to be compacted
	}
	for i := range rounds {
		var buf bytes.Buffer
		if err := attemptgen.WriteLines(&buf, attemptgen.Config{Seed: int64(100 + i), BadRate: 0.1}, perRound); err != nil {
			t.Fatal(err)
		}
		if err := produceLines(ctx, b, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		waitReport(t, file, (i+1)*perRound)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	before := waitReport(t, file, rounds*perRound)

	code, out, errOut := runCmd(t, "compact", "--config", file, "--dry-run")
	if code != 0 || !strings.Contains(out, "landerd.attempts: ") || !strings.Contains(out, "would rewrite") {
		t.Fatalf("compact --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("compact --dry-run:\n%s", out)
	code, out, errOut = runCmd(t, "compact", "--config", file)
	if code != 0 || strings.Count(out, "rewrote ") != 3 {
		t.Fatalf("compact: exit %d; want the three tables rewritten\n%s%s", code, out, errOut)
	}
	t.Logf("compact:\n%s", out)
	after := waitReport(t, file, rounds*perRound)
	if a, b := figures(t, after), figures(t, before); a != b {
		t.Errorf("report after the compaction:\n%s\nbefore:\n%s", a, b)
	}
	if after.Files >= before.Files {
		t.Errorf("the report read %d attempts files after the compaction, %d before", after.Files, before.Files)
	}
	t.Logf("attempts files read by the report: %d before, %d after", before.Files, after.Files)
	code, out, errOut = runCmd(t, "compact", "--config", file, "--table", "attempts")
	if code != 0 || !strings.Contains(out, "nothing to compact") {
		t.Errorf("a second compact: exit %d; want nothing to compact\n%s%s", code, out, errOut)
	}

	// Expiring every snapshot it may leaves each table's compaction, which
	// carries the offsets, and the report as it was.
	code, out, errOut = runCmd(t, "expire", "--config", file, "--older-than", "1ns", "--dry-run")
	if code != 0 || allButOne(out, `(\d+) snapshots; would expire (\d+), keeping 1 `) != 3 {
		t.Fatalf("expire --dry-run: exit %d; want all but one snapshot of each table\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "expire", "--config", file, "--older-than", "1ns")
	if code != 0 || allButOne(out, `(\d+) snapshots; expired (\d+), kept 1 `) != 3 {
		t.Fatalf("expire: exit %d; want all but one snapshot of each table expired\n%s%s", code, out, errOut)
	}
	t.Logf("expire:\n%s", out)
	if a, b := figures(t, waitReport(t, file, rounds*perRound)), figures(t, before); a != b {
		t.Errorf("report after the expiry:\n%s\nbefore:\n%s", a, b)
	}

	// Every file is younger than the default age: remove-orphans deletes
	// none (internal/icetable's tests age them and see what it deletes).
	code, out, errOut = runCmd(t, "remove-orphans", "--config", file)
	if code != 0 || strings.Count(out, ": deleted 0 files no snapshot references") != 3 {
		t.Fatalf("remove-orphans: exit %d; want nothing deleted in each table\n%s%s", code, out, errOut)
	}
	t.Logf("remove-orphans:\n%s", out)
}

// waitReport waits until `landerd report --json --config file` accounts
// for n records and returns the report.
func waitReport(t *testing.T, file string, n int) *report.Report {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, out, errOut := runCmd(t, "report", "--json", "--config", file)
		var rep report.Report
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("decode report --json: %v\n%s", err, out)
			}
			if rep.Raw.Attempts+rep.QuarantinedRows == int64(n) {
				return &rep
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the report never accounted for %d records: exit %d\n%s%s", n, code, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// figures are the answers of a report, as JSON: all but what it read,
// its means to 9 significant digits (their sums depend on the order the
// files are read in).
func figures(t *testing.T, r *report.Report) string {
	t.Helper()
	round := func(f report.Figures) report.Figures {
		for _, p := range []**float64{&f.AvgScore, &f.PassShare, &f.AvgDurationSeconds} {
			if *p != nil {
				v, err := strconv.ParseFloat(strconv.FormatFloat(**p, 'g', 9, 64), 64)
				if err != nil {
					t.Fatal(err)
				}
				*p = &v
			}
		}
		return f
	}
	out, err := json.Marshal([]any{round(r.Raw), round(r.Dedup), r.QuarantinedRows, r.UnassignedRows, r.Gaps})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// allButOne counts the lines of out that match pattern, whose two numbers
// are a table's snapshots and those expired, with all but one expired.
func allButOne(out, pattern string) int {
	n := 0
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(out, -1) {
		if before, err := strconv.Atoi(m[1]); err == nil && m[2] == strconv.Itoa(before-1) && before > 1 {
			n++
		}
	}
	return n
}
