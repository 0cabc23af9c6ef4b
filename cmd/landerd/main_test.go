package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/realdata"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndVersion(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		contains string
	}{
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "landerd dev"},
		{[]string{"produce", "--file", "x.json"}, 2, "produce: --topic is required"},
		{[]string{"produce", "--topic", "t"}, 2, "produce: --file is required"},
		{[]string{"publish", "--topic", "t"}, 2, `"publish" is now "produce"`},
		{[]string{"publish", "--topic", "t"}, 2, "produce: --file is required"},
		{[]string{"run", "--no-such-flag"}, 2, "flag provided but not defined"},
		{[]string{"run", "extra"}, 2, "unexpected arguments"},
		{[]string{"demo", "--partitions", "0"}, 2, "--partitions must be at least 1"},
	}
	for _, c := range cases {
		code, out, errOut := runCmd(t, c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.contains) {
			t.Errorf("%q: exit %d, output %q; want exit %d containing %q", c.args, code, out+errOut, c.code, c.contains)
		}
	}
}

// TestBadConfigListsEveryProblem: a bad configuration exits 2 before any
// connection opens, naming every problem at once.
func TestBadConfigListsEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	bad := "kafka:\n  brokers: []\n  session_timeout: 1s\n  heartbeat_interval: 1s\nlake:\n  compression: lzma\n  roll:\n    max_file_age: 0s\n"
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "run", "--config", path)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"kafka.brokers", "kafka.heartbeat_interval", "lake.compression", "lake.roll.max_file_age"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not name %s:\n%s", want, errOut)
		}
	}
	// A flag that breaks validation is reported the same way.
	code, _, errOut = runCmd(t, "run", "--brokers", "no-port", "--lake", "s3://bucket/x")
	if code != 2 || !strings.Contains(errOut, "kafka.brokers") || !strings.Contains(errOut, "lake.url") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}

// TestDemo runs the demo on generated attempts (2,000; 500 under -short)
// and checks that every one landed, good ones in attempts and malformed
// ones in _quarantine.
func TestDemo(t *testing.T) {
	count := int64(size(2000, 500))
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "demo", "--lake", dir, "--count", strconv.FormatInt(count, 10), "--bad-rate", "0.05", "--partitions", "2")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	a, q := countLake(t, dir)
	if a+q != count || q == 0 || q > count*15/100 {
		t.Errorf("landed %d attempts and %d quarantined, want %d in all with about 5%% quarantined", a, q, count)
	}
	if !strings.Contains(out, "read_parquet(") {
		t.Errorf("demo output does not say how to query the lake:\n%s", out)
	}
}

// TestDemoRealDataSet: the demo lands all 3,280 attempts of the real data
// set (the JSON array file). Under -short it lands the 23 attempts of the
// real sample (the JSON lines file) instead: the same path through
// --file, the broker and the lander, without the minute the whole set
// costs under the race detector; make test lands the whole set.
func TestDemoRealDataSet(t *testing.T) {
	file, want := realdata.Path(t, realdata.ArrayFile), int64(realdata.Attempts)
	if testing.Short() {
		file = realdata.Path(t, realdata.SampleFile)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want = int64(bytes.Count(bytes.TrimSpace(data), []byte("\n")) + 1) // one attempt a line
	}
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "demo", "--lake", dir, "--file", file)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	a, q := countLake(t, dir)
	if a != want || q != 0 {
		t.Errorf("landed %d attempts, %d quarantined; want %d, 0", a, q, want)
	}
}

// size returns full in make test and short under -short (make unit): the
// tests that land generated attempts take fewer there and check the same
// things.
func size(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// countLake counts the rows of attempts and _quarantine from the Parquet
// footers of every file.
func countLake(t *testing.T, dir string) (attempts, quarantined int64) {
	t.Helper()
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	count := func(table string) int64 {
		files, err := sink.ListDataFiles(lake, table)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, f := range files {
			tbl, err := sink.ReadTable(context.Background(), lake, f.Path, nil)
			if err != nil {
				t.Fatal(err)
			}
			n += tbl.NumRows()
			tbl.Release()
		}
		return n
	}
	return count(flatten.TableAttempts), count(flatten.TableQuarantine)
}

// TestDemoHDFS runs the demo into the in-process HDFS cluster; the report
// it ends with, read back through the HDFS client, accounts for every
// record sent.
func TestDemoHDFS(t *testing.T) {
	count := size(1500, 500)
	code, out, errOut := runCmd(t, "demo", "--hdfs", "--count", strconv.Itoa(count), "--bad-rate", "0.04", "--partitions", "2")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	m := regexp.MustCompile(`attempts: ([\d,]+) rows .*_quarantine: ([\d,]+) rows`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no row counts in the report:\n%s", out)
	}
	num := func(s string) int {
		n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, q := num(m[1]), num(m[2]); a+q != count || q == 0 {
		t.Errorf("report counts %d attempts and %d quarantined; want %d in all, some quarantined", a, q, count)
	}
	if !strings.Contains(out, "answered from hdfs://") {
		t.Errorf("report did not read the HDFS lake:\n%s", out)
	}
}

// TestDemoLakeURL runs the demo into a lake given by an hdfs:// URL, on a
// cluster that outlives the demo, and reads the lake back.
func TestDemoLakeURL(t *testing.T) {
	cluster, err := fakehdfs.New(fakehdfs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	url := "hdfs://" + cluster.Addr() + "/lake"
	code, out, errOut := runCmd(t, "demo", "--lake", url, "--count", "300", "--partitions", "2")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "answered from "+url) {
		t.Errorf("report did not read %s:\n%s", url, out)
	}
	code, out, errOut = runCmd(t, "report", "--lake", url, "--json")
	if code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		Quarantined int64 `json:"quarantined_rows"`
		Raw         struct {
			Attempts int64 `json:"attempts"`
		} `json:"raw"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --json: %v\n%s", err, out)
	}
	if rep.Raw.Attempts+rep.Quarantined != 300 {
		t.Errorf("lake holds %d attempts and %d quarantined; want 300 in all", rep.Raw.Attempts, rep.Quarantined)
	}
}
