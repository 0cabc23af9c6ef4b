package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/test/system/iceberg"
	"github.com/landerd/landerd/test/system/postgres"
	"github.com/landerd/landerd/test/system/trino"
)

// compactDayCmd is the subcommand that measures compacting a day of files.
const compactDayCmd = "compact-day"

// dayOpts are compact-day's flags.
type dayOpts struct {
	partitions int
	maxFileAge time.Duration
	hours      int
	perFlush   int
	badRate    float64
	dupRate    float64
	seed       int64
	day        time.Time
	runs       int
	warmup     int
	landerd    string
	keep       bool
	json       bool
	jsonFile   string
	timeout    time.Duration
}

func parseDayOptions(args []string, stderr io.Writer) (dayOpts, error) {
	var o dayOpts
	fs := flag.NewFlagSet("bench "+compactDayCmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.partitions, "partitions", 12, "Kafka partitions landing into the tables")
	fs.DurationVar(&o.maxFileAge, "max-file-age", 5*time.Minute, "lake.roll.max_file_age: each partition flushes once per this, 24h/this times a day")
	fs.IntVar(&o.hours, "hours", 24, "hours of the day to land, from midnight: fewer land the first hours alone (the report says how many)")
	fs.IntVar(&o.perFlush, "per-flush", 30, "records per flush (30 at 12 partitions and 5m is about 100k attempts a day)")
	fs.Float64Var(&o.badRate, "bad-rate", 0.001, "share of malformed records, which land in _quarantine")
	fs.Float64Var(&o.dupRate, "duplicate-rate", 0.01, "share of resent attempts")
	fs.Int64Var(&o.seed, "seed", 1, "attempt generator seed")
	day := fs.String("day", "2026-12-07", "UTC date the day's flushes land on (their ingest_date)")
	fs.IntVar(&o.runs, "runs", 3, "rounds of the seven questions in each engine, before and after the compaction")
	fs.IntVar(&o.warmup, "warmup", 1, "rounds in each engine before those measured before the compaction (the JVMs' first queries load and compile their code)")
	fs.StringVar(&o.landerd, "landerd", "", "landerd binary to compact with; empty builds ./cmd/landerd of the current module")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (lake, PostgreSQL cluster, Trino's folder)")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON on stdout")
	fs.StringVar(&o.jsonFile, "json-file", "", "also write the results as JSON (every round, each question's time) into this file")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Hour, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	var err error
	if o.day, err = time.Parse(time.DateOnly, *day); err != nil {
		errs = append(errs, fmt.Errorf("-day: %w", err))
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if o.partitions < 1 || o.partitions > 1024 {
		errs = append(errs, errors.New("-partitions must be between 1 and 1024"))
	}
	if o.maxFileAge < time.Minute || o.maxFileAge > 24*time.Hour {
		errs = append(errs, errors.New("-max-file-age must be between 1m and 24h"))
	}
	if o.hours < 1 || o.hours > 24 {
		errs = append(errs, errors.New("-hours must be between 1 and 24"))
	}
	if o.perFlush < 1 {
		errs = append(errs, errors.New("-per-flush must be positive"))
	}
	if o.runs < 1 || o.warmup < 0 {
		errs = append(errs, errors.New("-runs must be positive, -warmup not negative"))
	}
	if o.badRate < 0 || o.badRate > 1 || o.dupRate < 0 || o.dupRate > 1 {
		errs = append(errs, errors.New("-bad-rate and -duplicate-rate must be in [0, 1]"))
	}
	return o, errors.Join(errs...)
}

// flushesPerPartition is how many flushes a partition makes in the hours
// landed.
func (o dayOpts) flushesPerPartition() int {
	return int(time.Duration(o.hours) * time.Hour / o.maxFileAge)
}

// DayReport is compact-day's result (-json).
type DayReport struct {
	Cores      int       `json:"cores"`
	Partitions int       `json:"partitions"`
	MaxFileAge string    `json:"max_file_age"`
	Hours      int       `json:"hours"`
	PerFlush   int       `json:"records_per_flush"`
	Landing    dayResult `json:"landing"`
	// Before and After are each table's data files and snapshots, as
	// Trino's $files and $snapshots tables count them.
	Before map[string]TableCount `json:"before"`
	After  map[string]TableCount `json:"after"`
	// Compact is `landerd compact`'s cost, as a child of the harness.
	Compact CompactRun `json:"compact"`
	// Spark and Trino are the seven questions' rounds, before and after.
	Spark EngineRounds `json:"spark"`
	Trino EngineRounds `json:"trino"`
	// Load is /proc/loadavg at each step.
	Load map[string]string `json:"loadavg"`
}

// TableCount is what a table holds at one point.
type TableCount struct {
	DataFiles int64 `json:"data_files"`
	Snapshots int64 `json:"snapshots"`
}

// CompactRun is what `landerd compact` cost.
type CompactRun struct {
	Wall time.Duration `json:"wall_ns"`
	CPU  time.Duration `json:"cpu_ns"`
	// RusageMaxRSS is the child's ru_maxrss; PeakRSS its VmHWM sampled
	// (bench's doc says why the two may differ).
	RusageMaxRSS int64  `json:"rusage_maxrss_bytes"`
	PeakRSS      int64  `json:"peak_rss_bytes"`
	Output       string `json:"output"`
}

// EngineRounds are one engine's timed rounds of the seven questions.
type EngineRounds struct {
	Version string  `json:"version,omitempty"`
	Warmup  []Round `json:"warmup"`
	Before  []Round `json:"before"`
	After   []Round `json:"after"`
	// Differences lists every answer of a round that is not the first
	// round's (warm-up included); empty when every round answered the
	// same.
	Differences []string `json:"differences"`
}

// Round is one run of the seven question files.
type Round struct {
	// Seconds is each question file's wall time, in order.
	Seconds []float64 `json:"seconds"`
	Total   float64   `json:"total_seconds"`
	// DataFiles is the attempts table's data files the engine saw.
	DataFiles int64 `json:"data_files"`
	// Answers are the rows (Trino) or figures (Spark) the questions gave.
	Answers json.RawMessage `json:"answers"`
}

// medianTotal is the median of the rounds' totals.
func medianTotal(rs []Round) float64 {
	ts := make([]float64, len(rs))
	for i, r := range rs {
		ts[i] = r.Total
	}
	slices.Sort(ts)
	if len(ts) == 0 {
		return 0
	}
	if len(ts)%2 == 1 {
		return ts[len(ts)/2]
	}
	return (ts[len(ts)/2-1] + ts[len(ts)/2]) / 2
}

// dayBench holds what one compact-day run shares.
type dayBench struct {
	opt     dayOpts
	tmp     string
	log     io.Writer
	landerd string
	pg      *postgres.Server
	lake    string
	config  string
	env     []string // the children's: the catalog's password
	rep     DayReport
}

// runCompactDay is compact-day: it starts PostgreSQL, lands a day of
// flushes into Iceberg tables catalogued there, starts Trino and a Spark
// session on them, times the seven questions in each, compacts with
// `landerd compact` as a child, times the questions again in the same
// engines, and prints the figures.
func runCompactDay(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	opt, err := parseDayOptions(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opt.timeout)
	defer cancel()
	b := &dayBench{opt: opt, log: stderr, rep: DayReport{
		Cores: runtime.NumCPU(), Partitions: opt.partitions, MaxFileAge: opt.maxFileAge.String(), Hours: opt.hours, PerFlush: opt.perFlush,
		Load: map[string]string{},
	}}
	var cleanup func()
	if b.tmp, cleanup, err = workDir("landerd-compact-day-", opt.keep, stderr); err != nil {
		return err
	}
	defer cleanup()
	b.loadavg("start")
	defer func() {
		if b.pg == nil {
			return
		}
		if serr := b.pg.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("PostgreSQL: %w", serr)
		}
	}()
	if err := b.setup(ctx); err != nil {
		return err
	}
	if err := b.landDay(ctx); err != nil {
		return err
	}
	b.loadavg("landed")
	tr, err := b.startTrino(ctx)
	if tr != nil {
		defer func() {
			if cerr := tr.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("Trino: %w", cerr)
			}
		}()
	}
	if err != nil {
		return err
	}
	sp, err := b.startSpark(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sp.close(); cerr != nil && err == nil {
			err = fmt.Errorf("Spark: %w", cerr)
		}
	}()
	b.rep.Spark.Version = sp.version
	if b.rep.Before, err = b.tableCounts(ctx, tr); err != nil {
		return err
	}
	if err := b.rounds(ctx, tr, sp, "warm-up", b.opt.warmup, &b.rep.Trino.Warmup, &b.rep.Spark.Warmup); err != nil {
		return err
	}
	if err := b.rounds(ctx, tr, sp, "before", b.opt.runs, &b.rep.Trino.Before, &b.rep.Spark.Before); err != nil {
		return err
	}
	b.loadavg("before compaction")
	if err := b.compact(ctx); err != nil {
		return err
	}
	b.loadavg("after compaction")
	if b.rep.After, err = b.tableCounts(ctx, tr); err != nil {
		return err
	}
	if err := b.rounds(ctx, tr, sp, "after", b.opt.runs, &b.rep.Trino.After, &b.rep.Spark.After); err != nil {
		return err
	}
	b.loadavg("end")
	for _, e := range []*EngineRounds{&b.rep.Spark, &b.rep.Trino} {
		if e.Differences, err = differences(e); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(b.rep, "", "  ")
	if err != nil {
		return err
	}
	if opt.jsonFile != "" {
		if err := os.WriteFile(opt.jsonFile, append(js, '\n'), 0o644); err != nil {
			return err
		}
	}
	if opt.json {
		_, err := fmt.Fprintf(stdout, "%s\n", js)
		return err
	}
	return writeDay(stdout, &b.rep)
}

// loadavg records /proc/loadavg's first three fields at step.
func (b *dayBench) loadavg(step string) {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	f := strings.Fields(string(raw))
	if len(f) >= 3 {
		b.rep.Load[step] = strings.Join(f[:3], " ")
		fmt.Fprintf(b.log, "load average %s (%s)\n", b.rep.Load[step], step)
	}
}

// setup builds landerd, starts PostgreSQL and writes the configuration
// `landerd compact` reads.
func (b *dayBench) setup(ctx context.Context) error {
	b.landerd = b.opt.landerd
	if b.landerd == "" {
		root, err := moduleRoot(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.log, "building %s/cmd/landerd\n", root)
		if b.landerd, err = buildLanderd(ctx, root, b.tmp); err != nil {
			return err
		}
	}
	start := time.Now()
	pgDir := filepath.Join(b.tmp, "postgres")
	if err := os.Mkdir(pgDir, 0o700); err != nil {
		return err
	}
	pg, err := postgres.Launch(pgDir, postgres.Config{Database: "iceberg", User: "iceberg"})
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	b.pg = pg
	fmt.Fprintf(b.log, "PostgreSQL %s at %s, up in %s\n", pg.Version(), pg.Addr(), time.Since(start).Round(time.Millisecond))
	b.lake = filepath.Join(b.tmp, "lake")
	if err := os.Mkdir(b.lake, 0o755); err != nil {
		return err
	}
	b.env = append(cleanEnv(), passwordEnv+"="+pg.Password())
	b.config = filepath.Join(b.tmp, "landerd.yaml")
	yaml := fmt.Sprintf(`kafka:
  brokers: ["127.0.0.1:9"]
  topic: %s
  group: landerd-compact-day
lake:
  url: %q
  format: iceberg
  iceberg:
    catalog:
      type: sql
      uri: %q
`, benchTopic, b.lake, b.catalogURI())
	return os.WriteFile(b.config, []byte(yaml), 0o644)
}

// catalogURI is the sql catalog's URI, the user without the password.
func (b *dayBench) catalogURI() string {
	u, err := url.Parse(b.pg.DSN())
	if err != nil {
		panic(err) // DSN builds a valid URL
	}
	u.User = url.User(b.pg.User())
	return u.String()
}

// landDay lands the day in a dayCmd child.
func (b *dayBench) landDay(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find harness binary: %w", err)
	}
	o := dayOptions{
		lake: b.lake, catalogURI: b.catalogURI(), day: b.opt.day, partitions: b.opt.partitions,
		flushes: b.opt.flushesPerPartition(), every: b.opt.maxFileAge, perFlush: b.opt.perFlush,
		badRate: b.opt.badRate, dupRate: b.opt.dupRate, seed: b.opt.seed,
	}
	fmt.Fprintf(b.log, "landing %d flushes (%d partitions x %d, %d records each) into the sql catalog, one after another\n",
		o.flushes*o.partitions, o.partitions, o.flushes, o.perFlush)
	cmd := exec.CommandContext(ctx, self, dayArgs(o)...)
	cmd.Env = b.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, b.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("land the day: %w", err)
	}
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&b.rep.Landing); err != nil {
		return fmt.Errorf("land the day: its result: %w", err)
	}
	l := b.rep.Landing
	fmt.Fprintf(b.log, "landed %d flushes (%d attempts, %d quarantined, files %v, %.1f MiB) in %s, %s of it committing; commits %.0f ms each at first, %.0f ms at the end\n",
		l.Flushes, l.Attempts, l.Quarantined, l.Files, float64(l.Bytes)/mib, l.Wall.Round(time.Second), l.Commit.Round(time.Second),
		l.FirstCommits.Seconds()*1e3, l.LastCommits.Seconds()*1e3)
	return nil
}

// compact runs `landerd compact` as a child and records its cost.
func (b *dayBench) compact(ctx context.Context) error {
	fmt.Fprintf(b.log, "landerd compact ... ")
	cmd := exec.CommandContext(ctx, b.landerd, "compact", "--config", b.config)
	cmd.Env = b.env
	var out bytes.Buffer
	cmd.Stdout = &out
	u, err := runToEnd(ctx, cmd)
	if err != nil {
		return fmt.Errorf("landerd compact: %w\n%s", err, out.String())
	}
	b.rep.Compact = CompactRun{Wall: u.wall, CPU: u.cpu, RusageMaxRSS: u.rusageMaxRSS, PeakRSS: u.peakRSS, Output: out.String()}
	fmt.Fprintf(b.log, "%s, %.1f CPU s, ru_maxrss %.0f MiB\n%s", u.wall.Round(time.Millisecond), u.cpu.Seconds(), float64(u.rusageMaxRSS)/mib, out.String())
	return nil
}

// runToEnd runs cmd, which ends by itself, and returns what it cost: wall
// time from start to exit, user and system CPU and ru_maxrss from its
// rusage, and its VmHWM sampled while it ran.
func runToEnd(ctx context.Context, cmd *exec.Cmd) (usage, error) {
	stderr := &tail{max: 16 << 10}
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return usage{}, err
	}
	var peak atomic.Int64
	pollCtx, stopPoll := context.WithCancel(ctx)
	var poll sync.WaitGroup
	poll.Go(func() { pollHWM(pollCtx, cmd.Process.Pid, &peak) })
	err := cmd.Wait()
	u := usage{wall: time.Since(start)}
	stopPoll()
	poll.Wait()
	if err != nil {
		return u, fmt.Errorf("%w\n%s", err, stderr)
	}
	u.exited(cmd.ProcessState)
	u.peakRSS = peak.Load()
	return u, nil
}

// trinoCatalog is the Iceberg catalog's name in Trino, as
// sql/trino/00_views_iceberg.sql names it.
const trinoCatalog = "iceberg"

// startTrino installs and starts Trino with an Iceberg catalog on the
// tables' database, and creates the views of sql/trino/00_views_iceberg.sql.
// A server that started is returned even with an error, for the caller to
// stop.
func (b *dayBench) startTrino(ctx context.Context) (*trino.Server, error) {
	home, err := trino.Install()
	if err != nil {
		return nil, fmt.Errorf("Trino: %w", err)
	}
	dir := filepath.Join(b.tmp, "trino")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	srv, err := trino.Start(ctx, trino.Options{
		Home: home, JavaHome: trino.JavaHome(), Dir: dir, MaxHeap: "2G",
		Iceberg: []trino.IcebergCatalog{{
			Name: trinoCatalog, JDBCURL: b.pg.JDBCURL(), User: b.pg.User(), Password: b.pg.Password(),
			Warehouse: filepath.Join(dir, "warehouse"),
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("Trino: %w", err)
	}
	fmt.Fprintf(b.log, "Trino started in %s\n", srv.Started.Round(time.Millisecond))
	root, err := moduleRoot(ctx)
	if err != nil {
		return srv, err
	}
	views, err := os.ReadFile(filepath.Join(root, "sql", "trino", "00_views_iceberg.sql"))
	if err != nil {
		return srv, err
	}
	for _, st := range trino.Statements(string(views)) {
		if _, err := srv.Query(ctx, trinoCatalog, "", st); err != nil {
			return srv, fmt.Errorf("Trino: sql/trino/00_views_iceberg.sql: %w", err)
		}
	}
	return srv, nil
}

// tableCounts counts each table's data files and snapshots with Trino's
// metadata tables.
func (b *dayBench) tableCounts(ctx context.Context, tr *trino.Server) (map[string]TableCount, error) {
	out := map[string]TableCount{}
	for _, name := range icetable.TableNames() {
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s."%[2]s$files"), (SELECT count(*) FROM %[1]s."%[2]s$snapshots")`, trinoCatalog+"."+icebergNamespace, name)
		res, err := tr.Query(ctx, trinoCatalog, "", q)
		if err != nil {
			return nil, fmt.Errorf("Trino: count the files of %s: %w", name, err)
		}
		var tc TableCount
		if len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
			return nil, fmt.Errorf("Trino: count the files of %s: %v", name, res.Rows)
		}
		if tc.DataFiles, err = res.Rows[0][0].(json.Number).Int64(); err != nil {
			return nil, err
		}
		if tc.Snapshots, err = res.Rows[0][1].(json.Number).Int64(); err != nil {
			return nil, err
		}
		out[name] = tc
	}
	fmt.Fprintf(b.log, "tables: %v\n", out)
	return out, nil
}

// rounds runs n rounds of the seven questions in each engine,
// alternating the engines so that they share the machine's minutes.
func (b *dayBench) rounds(ctx context.Context, tr *trino.Server, sp *sparkSession, label string, n int, trinoRounds, sparkRounds *[]Round) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	for i := range n {
		r, err := sp.round(ctx, label)
		if err != nil {
			return fmt.Errorf("Spark: %w", err)
		}
		fmt.Fprintf(b.log, "%s %d/%d: spark %.2f s (%d files)", label, i+1, n, r.Total, r.DataFiles)
		*sparkRounds = append(*sparkRounds, r)
		if r, err = trinoRound(ctx, tr, root); err != nil {
			return fmt.Errorf("Trino: %w", err)
		}
		fmt.Fprintf(b.log, ", trino %.2f s (%d files)\n", r.Total, r.DataFiles)
		*trinoRounds = append(*trinoRounds, r)
	}
	return nil
}

// trinoRound runs the question files of sql/trino in the views' schema,
// timing each.
func trinoRound(ctx context.Context, tr *trino.Server, root string) (Round, error) {
	var r Round
	files, err := tr.Query(ctx, trinoCatalog, "", `SELECT count(*) FROM `+trinoCatalog+"."+icebergNamespace+`."attempts$files"`)
	if err != nil {
		return r, err
	}
	if r.DataFiles, err = files.Rows[0][0].(json.Number).Int64(); err != nil {
		return r, err
	}
	var answers [][]string
	for _, name := range trino.QuestionFiles {
		sql, err := os.ReadFile(filepath.Join(root, "sql", "trino", name))
		if err != nil {
			return r, err
		}
		sts := trino.Statements(string(sql))
		start := time.Now()
		var res trino.Result
		for _, st := range sts {
			if res, err = tr.Query(ctx, trinoCatalog, "landerd_views", st); err != nil {
				return r, fmt.Errorf("%s: %w", name, err)
			}
		}
		s := time.Since(start).Seconds()
		r.Seconds = append(r.Seconds, s)
		r.Total += s
		rows := make([]string, len(res.Rows))
		for i, row := range res.Rows {
			b, err := json.Marshal(row)
			if err != nil {
				return r, err
			}
			rows[i] = string(b)
		}
		// Rows that tie in a question's order may come in any order.
		slices.Sort(rows)
		answers = append(answers, rows)
	}
	if r.Answers, err = json.Marshal(answers); err != nil {
		return r, err
	}
	return r, nil
}

// sparkSession is a Python process holding one Spark session on the
// tables (landerd_lake.iceberg --serve): each line written to it runs the
// seven questions once and answers with one JSON line.
type sparkSession struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	stderr  *tail
	version string
}

// startSpark starts the Spark session, installing the Iceberg venv first
// when needed, and waits until it is ready.
func (b *dayBench) startSpark(ctx context.Context) (*sparkSession, error) {
	start := time.Now()
	env := iceberg.Env(b.pg, iceberg.Catalog{Warehouse: b.lake})
	cmd, err := iceberg.PythonCommand(ctx, env, "-m", "landerd_lake.iceberg", "--engine", "spark", "--serve")
	if err != nil {
		return nil, fmt.Errorf("Spark: %w", err)
	}
	s := &sparkSession{cmd: cmd, stderr: &tail{max: 16 << 10}}
	cmd.Stderr = s.stderr
	if s.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.out = bufio.NewScanner(stdout)
	s.out.Buffer(make([]byte, 0, 1<<20), 64<<20)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("Spark: start scripts/python/py-iceberg: %w", err)
	}
	var ready struct {
		Ready bool   `json:"ready"`
		Spark string `json:"spark"`
	}
	if err := s.read(&ready); err != nil || !ready.Ready {
		_ = s.close()
		return nil, fmt.Errorf("Spark: the session did not start: %v\n%s", err, s.stderr)
	}
	s.version = ready.Spark
	fmt.Fprintf(b.log, "Spark %s session started in %s\n", s.version, time.Since(start).Round(time.Millisecond))
	return s, nil
}

// read decodes the next line the session prints into v.
func (s *sparkSession) read(v any) error {
	if !s.out.Scan() {
		if err := s.out.Err(); err != nil {
			return err
		}
		return io.ErrUnexpectedEOF
	}
	return json.Unmarshal(s.out.Bytes(), v)
}

// round runs the seven questions once in the session.
func (s *sparkSession) round(ctx context.Context, label string) (Round, error) {
	if _, err := fmt.Fprintln(s.in, label); err != nil {
		return Round{}, fmt.Errorf("%w\n%s", err, s.stderr)
	}
	var got struct {
		DataFiles int64              `json:"data_files"`
		Seconds   map[string]float64 `json:"seconds"`
		Answers   json.RawMessage    `json:"answers"`
	}
	if err := s.read(&got); err != nil {
		return Round{}, fmt.Errorf("round %s: %w\n%s", label, err, s.stderr)
	}
	r := Round{DataFiles: got.DataFiles, Answers: got.Answers}
	for _, name := range trino.QuestionFiles {
		sec, ok := got.Seconds[name]
		if !ok {
			return r, fmt.Errorf("round %s: no time for %s", label, name)
		}
		r.Seconds = append(r.Seconds, sec)
		r.Total += sec
	}
	return r, ctx.Err()
}

// close ends the session: stdin closed, the process waited for.
func (s *sparkSession) close() error {
	err := s.in.Close()
	if werr := s.cmd.Wait(); werr != nil {
		err = errors.Join(err, fmt.Errorf("%w\n%s", werr, s.stderr))
	}
	return err
}

// differences compares every round's answers with the first round's
// (a warm-up's, when there is one): numbers equal to 1e-12 relative (an
// engine may add in another order once the files are others), everything
// else exactly.
func differences(e *EngineRounds) ([]string, error) {
	type labeled struct {
		label string
		r     Round
	}
	var all []labeled
	for _, set := range []struct {
		name   string
		rounds []Round
	}{{"warm-up", e.Warmup}, {"before", e.Before}, {"after", e.After}} {
		for i, r := range set.rounds {
			all = append(all, labeled{fmt.Sprintf("%s %d", set.name, i+1), r})
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	want, err := decodeNumbers(all[0].r.Answers)
	if err != nil {
		return nil, err
	}
	diffs := []string{}
	for _, l := range all[1:] {
		got, err := decodeNumbers(l.r.Answers)
		if err != nil {
			return nil, err
		}
		diffs = append(diffs, compareJSON(l.label, "", want, got)...)
	}
	return diffs, nil
}

func decodeNumbers(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode answers: %w", err)
	}
	// Trino's rows are compared as JSON text: decode them too.
	return decodeRows(v), nil
}

// decodeRows decodes the strings of a list of lists of strings (Trino's
// sorted rows) as JSON, so that their numbers compare as numbers.
func decodeRows(v any) any {
	qs, ok := v.([]any)
	if !ok {
		return v
	}
	for _, q := range qs {
		rows, ok := q.([]any)
		if !ok {
			return v
		}
		for j, row := range rows {
			s, ok := row.(string)
			if !ok {
				return v
			}
			dec := json.NewDecoder(strings.NewReader(s))
			dec.UseNumber()
			var x any
			if dec.Decode(&x) == nil {
				rows[j] = x
			}
		}
	}
	return qs
}

// compareJSON lists where got differs from want.
func compareJSON(label, at string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s%s: %v, first round %v", label, at, got, want)}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			out = append(out, compareJSON(label, at+"."+k, w[k], g[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s%s: %v, first round %v", label, at, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, compareJSON(label, fmt.Sprintf("%s[%d]", at, i), w[i], g[i])...)
		}
		return out
	case json.Number:
		g, ok := got.(json.Number)
		if ok && sameNumber(w, g) {
			return nil
		}
	default:
		if want == got {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s%s: %v, first round %v", label, at, got, want)}
}

// sameNumber: integers equal, or floats within 1e-12 relative.
func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	ai, aerr := a.Int64()
	bi, berr := b.Int64()
	if aerr == nil && berr == nil {
		return ai == bi
	}
	af, aerr := a.Float64()
	bf, berr := b.Float64()
	if aerr != nil || berr != nil {
		return false
	}
	d := af - bf
	if d < 0 {
		d = -d
	}
	return d <= 1e-12*max(1, af, -af)
}

// writeDay prints compact-day's figures.
func writeDay(w io.Writer, r *DayReport) error {
	l := r.Landing
	fmt.Fprintf(w, "\n%d hours of a day at max_file_age %s: %d partitions x %d flushes = %d flushes of %d records (%d attempts, %d quarantined), %d cores\n",
		r.Hours, r.MaxFileAge, r.Partitions, l.Flushes/max(1, r.Partitions), l.Flushes, r.PerFlush, l.Attempts, l.Quarantined, r.Cores)
	fmt.Fprintf(w, "landing: %s, of it %s in Tables.Commit (one after another); a commit took %.0f ms at first, %.0f ms at the end\n\n",
		l.Wall.Round(time.Second), l.Commit.Round(time.Second), l.FirstCommits.Seconds()*1e3, l.LastCommits.Seconds()*1e3)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table\tdata files before\tafter\tsnapshots before\tafter")
	for _, name := range icetable.TableNames() {
		b, a := r.Before[name], r.After[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", name, b.DataFiles, a.DataFiles, b.Snapshots, a.Snapshots)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	c := r.Compact
	fmt.Fprintf(w, "\nlanderd compact: %s wall, %.2f CPU s (user+sys), peak RSS %.1f MiB (ru_maxrss; VmHWM sampled %.1f MiB)\n\n",
		c.Wall.Round(time.Millisecond), c.CPU.Seconds(), float64(c.RusageMaxRSS)/mib, float64(c.PeakRSS)/mib)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "engine\twarm-up (s)\tseven questions before (s, each round)\tafter\tmedian before\tafter\tafter/before\tanswers")
	for _, e := range []struct {
		name string
		r    EngineRounds
	}{{"spark " + r.Spark.Version, r.Spark}, {"trino", r.Trino}} {
		mb, ma := medianTotal(e.r.Before), medianTotal(e.r.After)
		same := "the same in every round"
		if len(e.r.Differences) > 0 {
			same = fmt.Sprintf("%d differences", len(e.r.Differences))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%s\n", e.name, totals(e.r.Warmup), totals(e.r.Before), totals(e.r.After), mb, ma, ma/mb, same)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range []EngineRounds{r.Spark, r.Trino} {
		for _, d := range e.Differences {
			fmt.Fprintf(w, "differs: %s\n", d)
		}
	}
	fmt.Fprintf(w, "\nload average (1, 5, 15 min):")
	for _, step := range []string{"start", "landed", "before compaction", "after compaction", "end"} {
		fmt.Fprintf(w, " %s %s;", step, r.Load[step])
	}
	fmt.Fprintln(w)
	return nil
}

// totals formats the rounds' totals.
func totals(rs []Round) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf("%.2f", r.Total)
	}
	return strings.Join(s, ", ")
}
