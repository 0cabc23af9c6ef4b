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
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/iceio"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/produce"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/test/kit/realdata"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/sinktest"
	"github.com/landerd/landerd/test/system/minidfs"
	"github.com/landerd/landerd/test/system/postgres"
)

// RealDataTopic is the topic the real data set is landed from.
const RealDataTopic = "assessment-attempts"

// TenantHeader is the record header LandOptions.Tenants take a record's
// tenant from.
const TenantHeader = "tenant"

// Landed is what LandRealData or Land landed into Iceberg tables, in
// steps: after each step every record produced so far is in the tables,
// and landerd stopped.
type Landed struct {
	// Bin is the landerd binary that landed the lake.
	Bin string
	// Config is the YAML file it ran with; `landerd report --config`
	// reads the tables through it.
	Config string
	// Lake is the lake root, a local path or an hdfs:// URL; the tables
	// are under <Lake>/landerd/<table> (a tenant's under
	// <Lake>/landerd/tenant=<T>/<table>).
	Lake string
	// Catalog is the tables' catalog as the readers name it: the lake is
	// its warehouse.
	Catalog Catalog
	// Type is the catalog's type: "sql" or "hadoop".
	Type string
	// Tenants are the tenants of a lake landed with tenancy, else nil.
	Tenants []string
	// Snapshots are the attempts table's current snapshot after each step
	// (with tenancy, the first tenant's attempts table).
	Snapshots []int64
	// Reports are `landerd report --json` after each step (with tenancy,
	// `--tenant` the first tenant's, as Snapshots).
	Reports []report.Report
	// env is the environment landerd runs in (the catalog's password).
	env []string
}

// ReaderEnv returns the LANDERD_ICEBERG_* variables that point
// landerd_lake.iceberg at the landed tables (pg is nil for hadoop).
func (l *Landed) ReaderEnv(pg *postgres.Server) []string {
	return l.NamespaceEnv(pg, config.DefaultIcebergNamespace)
}

// NamespaceEnv is ReaderEnv for the tables of namespace ns, e.g. a
// tenant's (icetable.Namespace).
func (l *Landed) NamespaceEnv(pg *postgres.Server, ns string) []string {
	if l.Type == "sql" {
		return Env(pg, Catalog{Namespace: ns, Warehouse: l.Lake})
	}
	return append(os.Environ(),
		"LANDERD_ICEBERG_CATALOG_TYPE=hadoop",
		"LANDERD_ICEBERG_CATALOG_NAME="+DefaultCatalogName,
		"LANDERD_ICEBERG_NAMESPACE="+ns,
		"LANDERD_ICEBERG_WAREHOUSE="+l.Lake,
	)
}

// LandOptions say what Land lands, and where.
type LandOptions struct {
	// PG catalogs the tables (the sql catalog); nil means the hadoop
	// catalog, in the lake itself.
	PG *postgres.Server
	// HDFS, when set, holds the lake, a folder of its own on the cluster,
	// landed as the cluster's superuser (as test/icehdfs lands); nil means
	// a local folder.
	HDFS *minidfs.Cluster
	// Records, when set, are landed instead of the real data set, with
	// their keys and headers.
	Records []fakekafka.Record
	// Tenants, when set, turns tenancy on: source header TenantHeader,
	// these tenants, each given a group of the local machine
	// (sinktest.LocalGroup). It needs PG: landerd refuses tenancy with the
	// hadoop catalog.
	Tenants []string
	// First is the number of records of the first step; the rest are the
	// second's.
	First int
}

// LandRealData lands the real data set (test/kit/realdata; the test
// skips when it is absent) on a local lake, into tables catalogued in pg
// (the sql catalog) or, when pg is nil, in the lake itself (the hadoop
// catalog): Land with those options.
func LandRealData(tb testing.TB, pg *postgres.Server, first int) *Landed {
	tb.Helper()
	return Land(tb, LandOptions{PG: pg, First: first})
}

// Land has the landerd binary land opts.Records, or the real data set
// (test/kit/realdata; the test skips when it is absent), with lake.format
// iceberg and production defaults but for a 1 s file age (so that each
// step ends soon). The records go in two steps, the first opts.First
// records then the rest, each produced into an in-process broker and
// landed by a `landerd run` stopped once everything produced is in the
// tables, so the attempts table has an earlier snapshot with fewer rows.
func Land(tb testing.TB, opts LandOptions) *Landed {
	tb.Helper()
	var recs []fakekafka.Record
	if opts.Records != nil {
		recs = opts.Records
	} else {
		file := realdata.Path(tb, realdata.ArrayFile)
		for _, r := range readArray(tb, file) {
			var buf bytes.Buffer
			if err := json.Compact(&buf, r); err != nil {
				tb.Fatal(err)
			}
			recs = append(recs, fakekafka.Record{Value: buf.Bytes()})
		}
	}
	first := opts.First
	if first <= 0 || first >= len(recs) {
		tb.Fatalf("land: first step of %d records out of %d", first, len(recs))
	}
	if len(opts.Tenants) > 0 && opts.PG == nil {
		tb.Fatal("land: tenancy needs the sql catalog (a PostgreSQL)")
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

	l := &Landed{Bin: bin, Lake: filepath.Join(dir, "lake"), Config: filepath.Join(dir, "landerd.yaml"), Type: "hadoop", Tenants: opts.Tenants}
	cfg := config.Default()
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = RealDataTopic
	hdfsYAML := ""
	if opts.HDFS != nil {
		su, err := minidfs.Superuser()
		if err != nil {
			tb.Fatal(err)
		}
		l.Lake = fmt.Sprintf("%s/landed-%d", opts.HDFS.URL(), lakeSeq.Add(1))
		cfg.HDFS.User = su
		hdfsYAML = fmt.Sprintf("hdfs:\n  user: %q\n", su)
	}
	cfg.Lake.URL = l.Lake
	cfg.Lake.Format = config.FormatIceberg
	cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogHadoop}
	catalog := "  catalog:\n      type: hadoop"
	env := os.Environ()
	if opts.PG != nil {
		l.Type = "sql"
		u, err := url.Parse(opts.PG.DSN())
		if err != nil {
			tb.Fatal(err)
		}
		u.User = url.User(opts.PG.User())
		cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogSQL, URI: u.String(), Password: config.Secret(opts.PG.Password())}
		catalog = fmt.Sprintf("  catalog:\n      type: sql\n      uri: %q", u.String())
		env = append(env, "LANDERD_ICEBERG_CATALOG_PASSWORD="+opts.PG.Password())
	}
	tenancyYAML := ""
	snapNS := config.DefaultIcebergNamespace
	if len(opts.Tenants) > 0 {
		group := sinktest.LocalGroup(tb)
		tenancyYAML = fmt.Sprintf("tenancy:\n  source: header\n  header: %s\n  tenants:\n", TenantHeader)
		for _, tn := range opts.Tenants {
			tenancyYAML += fmt.Sprintf("    - name: %q\n      group: %q\n", tn, group)
		}
		snapNS = icetable.Namespace(config.DefaultIcebergNamespace, opts.Tenants[0])
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
%s%s`, b.Addr(), RealDataTopic, l.Lake, catalog, hdfsYAML, tenancyYAML)
	if err := os.WriteFile(l.Config, []byte(yaml), 0o644); err != nil {
		tb.Fatal(err)
	}

	steps := [][]fakekafka.Record{recs[:first], recs[first:]}
	produced := 0
	for i, step := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if opts.Records != nil {
			if err := b.ProduceWith(ctx, fakekafka.ProduceOptions{}, step); err != nil {
				cancel()
				tb.Fatalf("produce step %d: %v", i+1, err)
			}
		} else {
			// The real data set goes through landerd's producer, keyed by
			// user_exam_id, as `landerd produce` sends it.
			part := filepath.Join(dir, fmt.Sprintf("step%d.jsonl", i+1))
			var buf bytes.Buffer
			for _, r := range step {
				buf.Write(r.Value)
				buf.WriteByte('\n')
			}
			if err := os.WriteFile(part, buf.Bytes(), 0o644); err != nil {
				tb.Fatal(err)
			}
			if _, err := produce.Run(ctx, produce.Options{Brokers: []string{b.Addr()}, Topic: RealDataTopic}, part); err != nil {
				cancel()
				tb.Fatalf("produce step %d: %v", i+1, err)
			}
		}
		produced += len(step)
		l.runUntil(ctx, tb, env, produced)
		cancel()
		rep := l.Report(tb)
		if len(opts.Tenants) > 0 {
			rep = l.TenantReport(tb, opts.Tenants[0])
		}
		l.Reports = append(l.Reports, rep)
		l.Snapshots = append(l.Snapshots, currentSnapshot(tb, cfg, snapNS))
	}
	return l
}

// lakeSeq numbers the lakes landed on HDFS, so that tests sharing a
// cluster do not meet.
var lakeSeq atomic.Int64

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
	return l.report(tb)
}

// TenantReport runs `landerd report --json --tenant <tenant>`: tenant's
// tables only.
func (l *Landed) TenantReport(tb testing.TB, tenant string) report.Report {
	tb.Helper()
	return l.report(tb, "--tenant", tenant)
}

func (l *Landed) report(tb testing.TB, args ...string) report.Report {
	tb.Helper()
	return Report(tb, l.Bin, l.Config, l.env, args...)
}

// Report runs the landerd binary bin's `report --config config --json`
// with args, in env (nil: this process's environment), and returns what
// it printed; a failure fails the test.
func Report(tb testing.TB, bin, config string, env []string, args ...string) report.Report {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"report", "--config", config, "--json"}, args...)...)
	cmd.Env = env
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

// currentSnapshot reads the current snapshot id of the attempts table of
// namespace ns with iceberg-go, as another program would (on HDFS through
// the lake's client, as landerd reads it).
func currentSnapshot(tb testing.TB, cfg config.Config, ns string) int64 {
	tb.Helper()
	conf, err := icetable.ConfigOf(cfg, true)
	if err != nil {
		tb.Fatal(err)
	}
	if strings.HasPrefix(cfg.Lake.URL, "hdfs://") {
		ro, err := lake.OpenReadOnly(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		defer func() { _ = ro.Close() }()
		unregister, err := iceio.Register(ro)
		if err != nil {
			tb.Fatal(err)
		}
		defer unregister()
	}
	ctx := context.Background()
	cat, closeCat, err := conf.Open(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = closeCat() }()
	tbl, err := cat.LoadTable(ctx, table.Identifier{ns, "attempts"})
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
