package iceberg

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/produce"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/test/kit/realdata"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/postgres"
)

// RealDataTopic is the topic the real data set is landed from.
const RealDataTopic = "assessment-attempts"

// Landed is the real data set as landerd landed it into Iceberg tables,
// in steps: after each step every record produced so far is in the
// tables, and landerd stopped.
type Landed struct {
	// Bin is the landerd binary that landed the lake.
	Bin string
	// Config is the YAML file it ran with; `landerd report --config`
	// reads the tables through it.
	Config string
	// Lake is the lake root; the tables are under <Lake>/landerd/<table>.
	Lake string
	// Catalog is the tables' catalog as the readers name it: the lake is
	// its warehouse.
	Catalog Catalog
	// Type is the catalog's type: "sql" or "hadoop".
	Type string
	// Snapshots are the attempts table's current snapshot after each step.
	Snapshots []int64
	// Reports are `landerd report --json` after each step.
	Reports []report.Report
	// env is the environment landerd runs in (the catalog's password).
	env []string
}

// ReaderEnv returns the LANDERD_ICEBERG_* variables that point
// landerd_lake.iceberg at the landed tables (pg is nil for hadoop).
func (l *Landed) ReaderEnv(pg *postgres.Server) []string {
	if l.Type == "sql" {
		return Env(pg, l.Catalog)
	}
	return append(os.Environ(),
		"LANDERD_ICEBERG_CATALOG_TYPE=hadoop",
		"LANDERD_ICEBERG_CATALOG_NAME="+DefaultCatalogName,
		"LANDERD_ICEBERG_NAMESPACE="+config.DefaultIcebergNamespace,
		"LANDERD_ICEBERG_WAREHOUSE="+l.Lake,
	)
}

// LandRealData lands the real data set (test/kit/realdata; the test
// skips when it is absent) with the landerd binary, lake.format iceberg,
// into tables catalogued in pg (the sql catalog) or, when pg is nil, in the
// lake itself (the hadoop catalog). The records go in two steps, the
// first `first` records then the rest, each produced into an in-process
// broker and landed by a `landerd run` stopped once everything produced
// is in the tables, so the attempts table has an earlier snapshot with
// fewer rows.
func LandRealData(tb testing.TB, pg *postgres.Server, first int) *Landed {
	tb.Helper()
	file := realdata.Path(tb, realdata.ArrayFile)
	recs := readArray(tb, file)
	if first <= 0 || first >= len(recs) {
		tb.Fatalf("land the real data set: first step of %d records out of %d", first, len(recs))
	}
	dir := tb.TempDir()
	bin, err := repo.BuildLanderd(dir)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := fakekafka.Start(fakekafka.Config{Topic: RealDataTopic, Partitions: 4, MinSessionTimeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)

	l := &Landed{Bin: bin, Lake: filepath.Join(dir, "lake"), Config: filepath.Join(dir, "landerd.yaml"), Type: "hadoop"}
	cfg := config.Default()
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = RealDataTopic
	cfg.Lake.URL = l.Lake
	cfg.Lake.Format = config.FormatIceberg
	cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogHadoop}
	catalog := "  catalog:\n      type: hadoop"
	env := os.Environ()
	if pg != nil {
		l.Type = "sql"
		u, err := url.Parse(pg.DSN())
		if err != nil {
			tb.Fatal(err)
		}
		u.User = url.User(pg.User())
		cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogSQL, URI: u.String(), Password: config.Secret(pg.Password())}
		catalog = fmt.Sprintf("  catalog:\n      type: sql\n      uri: %q", u.String())
		env = append(env, "LANDERD_ICEBERG_CATALOG_PASSWORD="+pg.Password())
	}
	l.Catalog = Catalog{Warehouse: l.Lake}
	l.env = env
	yaml := fmt.Sprintf(`kafka:
  brokers: [%q]
  topic: %s
  group: landerd-realdata
  instance_id: none
  session_timeout: 3s
  heartbeat_interval: 300ms
  rebalance_timeout: 5s
lake:
  url: %q
  format: iceberg
  roll:
    max_file_age: 1s
  iceberg:
  %s
shutdown:
  deadline: 10s
`, b.Addr(), RealDataTopic, l.Lake, catalog)
	if err := os.WriteFile(l.Config, []byte(yaml), 0o644); err != nil {
		tb.Fatal(err)
	}

	steps := [][]json.RawMessage{recs[:first], recs[first:]}
	produced := 0
	for i, step := range steps {
		part := filepath.Join(dir, fmt.Sprintf("step%d.jsonl", i+1))
		var buf bytes.Buffer
		for _, r := range step {
			if err := json.Compact(&buf, r); err != nil {
				tb.Fatal(err)
			}
			buf.WriteByte('\n')
		}
		if err := os.WriteFile(part, buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if _, err := produce.Run(ctx, produce.Options{Brokers: []string{b.Addr()}, Topic: RealDataTopic}, part); err != nil {
			cancel()
			tb.Fatalf("produce step %d: %v", i+1, err)
		}
		produced += len(step)
		l.runUntil(ctx, tb, env, produced)
		cancel()
		rep := l.Report(tb)
		l.Reports = append(l.Reports, rep)
		l.Snapshots = append(l.Snapshots, currentSnapshot(tb, cfg))
	}
	return l
}

// runUntil runs `landerd run` until the tables hold n records (attempts
// and quarantined), then stops it with SIGTERM and waits.
func (l *Landed) runUntil(ctx context.Context, tb testing.TB, env []string, n int) {
	tb.Helper()
	var logs bytes.Buffer
	cmd := exec.Command(l.Bin, "run", "--config", l.Config, "--metrics-addr", "")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		if got, ok := l.landed(tb); ok && got >= int64(n) {
			break
		}
		select {
		case err := <-done:
			tb.Fatalf("landerd run exited before landing %d records: %v\n%s", n, err, tail(logs.String(), 4000))
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-done
			tb.Fatalf("landerd run did not land %d records in time\n%s", n, tail(logs.String(), 4000))
		case <-time.After(500 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	if err := <-done; err != nil {
		tb.Fatalf("landerd run: %v\n%s", err, tail(logs.String(), 4000))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		tb.Logf("landerd run landed %d records in all; peak RSS %d MiB", n, ru.Maxrss>>10)
	}
}

// landed returns the records in the tables so far, false while the
// tables do not exist yet.
func (l *Landed) landed(tb testing.TB) (int64, bool) {
	cmd := exec.Command(l.Bin, "report", "--config", l.Config, "--json")
	cmd.Env = l.env
	out, err := cmd.Output()
	if err != nil {
		return 0, false
	}
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		tb.Fatalf("decode landerd report --json: %v\n%s", err, out)
	}
	return rep.Raw.Attempts + rep.QuarantinedRows, true
}

// Report runs `landerd report --json` on the tables' current snapshots.
func (l *Landed) Report(tb testing.TB) report.Report {
	tb.Helper()
	cmd := exec.Command(l.Bin, "report", "--config", l.Config, "--json")
	cmd.Env = l.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("landerd report --json: %v\n%s", err, stderr.String())
	}
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		tb.Fatalf("decode landerd report --json: %v\n%s", err, out)
	}
	return rep
}

// currentSnapshot reads the attempts table's current snapshot id with
// iceberg-go, as another program would.
func currentSnapshot(tb testing.TB, cfg config.Config) int64 {
	tb.Helper()
	conf, err := icetable.ConfigOf(cfg, true)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	cat, closeCat, err := conf.Open(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = closeCat() }()
	tbl, err := cat.LoadTable(ctx, table.Identifier{cfg.Lake.Iceberg.Namespace, "attempts"})
	if err != nil {
		tb.Fatal(err)
	}
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		tb.Fatal("the attempts table has no snapshot")
	}
	return snap.SnapshotID
}

// readArray returns the records of a JSON array file.
func readArray(tb testing.TB, file string) []json.RawMessage {
	tb.Helper()
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var recs []json.RawMessage
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&recs); err != nil {
		tb.Fatalf("read %s: %v", file, err)
	}
	return recs
}
