package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
	"github.com/landerd/landerd/test/system/duckdb"
)

// The lake checks of checkExactlyOnce read the Parquet files with
// landerd's own reader (pkg/sink and Arrow). The tests against the real
// systems also read the lake back with two readers landerd did not write:
// DuckDB and Apache Spark. Each must find, for every partition of the
// topic, every offset from 0 to the end once, and the same row counts as
// landerd's reader.

// realSystems reports whether the harness lands from Apache Kafka or
// into Apache HDFS: those tests also read the lake back with DuckDB and
// Spark.
func (h *harness) realSystems() bool {
	return h.setup.kafka.cluster != nil || h.setup.backend.storage() == lakeRealHDFS
}

// partitionFigures is what an independent reader found of one Kafka
// partition across attempts and _quarantine.
type partitionFigures struct {
	Rows      int64 `json:"rows"`
	MinOffset int64 `json:"min_offset"`
	MaxOffset int64 `json:"max_offset"`
}

// readerFigures is what an independent reader found in the lake.
type readerFigures struct {
	Attempts   int64                       `json:"attempts"`
	Quarantine int64                       `json:"quarantine"`
	Questions  int64                       `json:"questions"`
	Distinct   int64                       `json:"distinct"`
	Duplicates int64                       `json:"duplicates"`
	Partitions map[string]partitionFigures `json:"partitions"`
}

// checkWithReaders reads the lake with DuckDB and with Spark and compares
// what they find with the topic's end offsets and with sum, what
// landerd's own reader found.
func (h *harness) checkWithReaders(ctx context.Context, sum lakecheck.Summary) {
	h.t.Helper()
	ends := h.endOffsets(ctx)
	start := time.Now()
	h.compareReader("DuckDB", h.duckdbFigures(), ends, sum)
	h.t.Logf("DuckDB read the lake back in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	h.compareReader("Spark", h.sparkFigures(), ends, sum)
	h.t.Logf("Spark read the lake back in %s", time.Since(start).Round(time.Millisecond))
}

// compareReader fails the test where a reader's figures disagree with the
// topic or with landerd's reader.
func (h *harness) compareReader(reader string, got readerFigures, ends map[int32]int64, sum lakecheck.Summary) {
	h.t.Helper()
	var total int64
	for p, end := range ends {
		total += end
		key := fmt.Sprintf("%s/%d", h.topic, p)
		want := partitionFigures{Rows: end, MinOffset: 0, MaxOffset: end - 1}
		for _, g := range sum.GapsOf[p] { // offsets the lake records as lost
			want.Rows -= g.Offsets()
			total -= g.Offsets()
			if g.First == want.MinOffset {
				want.MinOffset = g.Last + 1
			}
			if g.Last == want.MaxOffset {
				want.MaxOffset = g.First - 1
			}
		}
		if end == 0 {
			want = partitionFigures{}
		}
		if g := got.Partitions[key]; g != want {
			h.t.Errorf("%s: partition %s holds %d rows, offsets %d..%d; want %d rows, offsets %d..%d",
				reader, key, g.Rows, g.MinOffset, g.MaxOffset, want.Rows, want.MinOffset, want.MaxOffset)
		}
	}
	if len(got.Partitions) != len(ends) {
		h.t.Errorf("%s: found %d partitions (%v), want %d", reader, len(got.Partitions), got.Partitions, len(ends))
	}
	if got.Distinct != total || got.Duplicates != 0 {
		h.t.Errorf("%s: %d distinct (topic, partition, offset) with %d duplicated; want %d distinct, none duplicated",
			reader, got.Distinct, got.Duplicates, total)
	}
	if got.Attempts != int64(sum.Attempts) || got.Quarantine != int64(sum.Quarantined) || got.Questions != int64(sum.Questions) {
		h.t.Errorf("%s: %d attempts, %d quarantined, %d questions; landerd's reader found %s",
			reader, got.Attempts, got.Quarantine, got.Questions, sum)
	}
}

// duckdbFigures reads the lake with DuckDB. DuckDB reads local files
// only, so a lake on HDFS is first copied out of HDFS through the
// checks' client.
func (h *harness) duckdbFigures() readerFigures {
	h.t.Helper()
	dir := h.lakeDir
	if dir == "" {
		dir = filepath.Join(h.t.TempDir(), "lake-copy")
		if err := copyTables(h.reader, dir); err != nil {
			h.t.Fatalf("copy the lake out of %s for DuckDB: %v", h.reader, err)
		}
	}
	scan := func(table string) string {
		// One Hive level (ingest_date=D) or, with tenancy, two (tenant=T/ingest_date=D).
		glob := filepath.Join(dir, table, "*", "*.parquet")
		if h.mix != nil {
			glob = filepath.Join(dir, table, "*", "*", "*.parquet")
		}
		return "read_parquet(" + duckdb.Literal(glob) + ", hive_partitioning = true)"
	}
	var keyed []string
	var fig readerFigures
	count := func(table string) int64 {
		if !hasParquet(filepath.Join(dir, table)) {
			return 0
		}
		res := duckdb.Query(h.t, "SELECT count(*) AS n FROM "+scan(table))
		return asInt(h, res.Rows[0]["n"])
	}
	fig.Attempts = count(flatten.TableAttempts)
	fig.Quarantine = count(flatten.TableQuarantine)
	fig.Questions = count(flatten.TableQuestions)
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		if hasParquet(filepath.Join(dir, table)) {
			keyed = append(keyed, "SELECT kafka_topic, kafka_partition, kafka_offset FROM "+scan(table))
		}
	}
	fig.Partitions = map[string]partitionFigures{}
	if len(keyed) == 0 {
		return fig
	}
	rows := "(" + strings.Join(keyed, " UNION ALL ") + ")"
	res := duckdb.Query(h.t, `SELECT count(*) AS distinct_keys, count(*) FILTER (WHERE n > 1) AS duplicated
FROM (SELECT kafka_topic, kafka_partition, kafka_offset, count(*) AS n FROM `+rows+` GROUP BY ALL)`)
	fig.Distinct = asInt(h, res.Rows[0]["distinct_keys"])
	fig.Duplicates = asInt(h, res.Rows[0]["duplicated"])
	res = duckdb.Query(h.t, `SELECT kafka_topic, kafka_partition, count(*) AS n, min(kafka_offset) AS lo, max(kafka_offset) AS hi
FROM `+rows+` GROUP BY ALL`)
	for _, r := range res.Rows {
		key := fmt.Sprintf("%v/%v", r["kafka_topic"], r["kafka_partition"])
		fig.Partitions[key] = partitionFigures{Rows: asInt(h, r["n"]), MinOffset: asInt(h, r["lo"]), MaxOffset: asInt(h, r["hi"])}
	}
	return fig
}

// sparkFigures reads the lake with Apache Spark, through the Python
// package's lake check, one Spark session shared by the package's tests.
func (h *harness) sparkFigures() readerFigures {
	h.t.Helper()
	line, err := sparkLakes.check(h.lakeURL)
	if err != nil {
		h.t.Fatalf("Apache Spark: %v", err)
	}
	var answer struct {
		readerFigures
		Error string `json:"error"`
	}
	if err := json.Unmarshal(line, &answer); err != nil {
		h.t.Fatalf("Apache Spark: the lake check answered %q: %v", line, err)
	}
	if answer.Error != "" {
		h.t.Fatalf("Apache Spark: %s", answer.Error)
	}
	return answer.readerFigures
}

// sparkLakes is the package's Spark lake check: a process started at the
// first check and stopped by TestMain, so the tests pay Spark's start-up
// once.
var sparkLakes sparkServer

// sparkServer runs `scripts/python/py -m landerd_lake.lakecheck --serve`,
// which answers each lake URL written to it with one line of JSON.
type sparkServer struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *os.File
}

// sparkCheckTimeout bounds one lake check, the Spark session's start
// included; the first check may also build the Python virtualenv.
const sparkCheckTimeout = 15 * time.Minute

// check asks for one lake's figures and returns the answer line.
func (s *sparkServer) check(lake string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		if err := s.start(); err != nil {
			return nil, err
		}
	}
	if _, err := io.WriteString(s.in, lake+"\n"); err != nil {
		return nil, s.failed(fmt.Errorf("send %s to the lake check: %w", lake, err))
	}
	type answer struct {
		line []byte
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := s.out.ReadBytes('\n')
		got <- answer{line, err}
	}()
	select {
	case a := <-got:
		if a.err != nil {
			return nil, s.failed(fmt.Errorf("read the lake check's answer for %s: %w", lake, a.err))
		}
		return bytes.TrimSpace(a.line), nil
	case <-time.After(sparkCheckTimeout):
		err := s.failed(fmt.Errorf("no answer for %s within %s", lake, sparkCheckTimeout))
		<-got // the kill ends the read
		return nil, err
	}
}

func (s *sparkServer) start() error {
	root, err := repo.Root()
	if err != nil {
		return err
	}
	s.stderr, err = os.CreateTemp("", "landerd-e2e-spark-*.log")
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "python", "py"), "-m", "landerd_lake.lakecheck", "--serve")
	cmd.Dir = root
	cmd.Stderr = s.stderr
	if s.in, err = cmd.StdinPipe(); err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	s.out = bufio.NewReader(out)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the lake check: %w", err)
	}
	s.cmd = cmd
	return nil
}

// failed kills the lake check and returns err with the end of its log.
func (s *sparkServer) failed(err error) error {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
	log, _ := os.ReadFile(s.stderr.Name())
	return fmt.Errorf("%w\n%s", err, servertest.LastLines(string(log), 30))
}

// stop ends the lake check, if it runs: end of input, then a kill if it
// does not exit within a minute.
func (s *sparkServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.in.Close()
	done := make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
	_ = s.stderr.Close()
	_ = os.Remove(s.stderr.Name())
}

// copyTables copies the Parquet files of attempts, questions and
// _quarantine from lake into dir, keeping their Hive partition folders
// (one level, or two with tenancy).
func copyTables(lake sink.FS, dir string) error {
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuestions, flatten.TableQuarantine} {
		files, err := sink.ListDataFiles(lake, table)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for _, f := range files {
			if err := copyFile(lake, f.Path, filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFile(lake sink.FS, name, to string) error {
	in, err := lake.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", name, err)
	}
	return out.Close()
}

// hasParquet reports whether a table folder holds a Parquet file in one
// of its Hive partitions, one or two levels down.
func hasParquet(tableDir string) bool {
	m, _ := filepath.Glob(filepath.Join(tableDir, "*", "*.parquet"))
	n, _ := filepath.Glob(filepath.Join(tableDir, "*", "*", "*.parquet"))
	return len(m)+len(n) > 0
}

// asInt reads an integer DuckDB returned.
func asInt(h *harness, v any) int64 {
	h.t.Helper()
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			h.t.Fatalf("duckdb returned %v, want an integer", v)
		}
		return i
	case int64:
		return n
	case float64:
		return int64(n)
	}
	h.t.Fatalf("duckdb returned %v (%T), want an integer", v, v)
	return 0
}
