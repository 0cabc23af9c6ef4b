package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/iceio"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/system/minidfs"
	"github.com/landerd/landerd/test/system/postgres"
)

// The group timing of the tests on the in-process broker: a SIGKILLed
// member is evicted after sessionTimeout, so a restart gets the partitions
// back within seconds.
const (
	sessionTimeout    = 3 * time.Second
	heartbeatInterval = 300 * time.Millisecond
	rebalanceTimeout  = 10 * time.Second
)

// groupTiming is the daemons' kafka.session_timeout, heartbeat_interval
// and rebalance_timeout. The zero value means the short timing above.
type groupTiming struct {
	session, heartbeat, rebalance time.Duration
}

// orShort returns g, or the short timing when g is zero.
func (g groupTiming) orShort() groupTiming {
	if g == (groupTiming{}) {
		return groupTiming{sessionTimeout, heartbeatInterval, rebalanceTimeout}
	}
	return g
}

// kafkaBroker is the Kafka a harness lands from: the in-process broker
// (internal/fakekafka) or Apache Kafka run by test/system/kafkacluster.
type kafkaBroker interface {
	// addrs returns the bootstrap brokers, host:port each.
	addrs() []string
	// produce writes records, each to its Partition, and returns once
	// every one is acknowledged; a partition's records keep their order
	// and get contiguous offsets.
	produce(ctx context.Context, recs []fakekafka.Record) error
	// endOffsets returns the high watermark of every partition.
	endOffsets(ctx context.Context) (map[int32]int64, error)
}

// fakeKafka is the in-process broker.
type fakeKafka struct{ b *fakekafka.Broker }

func (f fakeKafka) addrs() []string { return []string{f.b.Addr()} }

func (f fakeKafka) produce(ctx context.Context, recs []fakekafka.Record) error {
	return f.b.ProduceWith(ctx, fakekafka.ProduceOptions{ManualPartition: true}, recs)
}

func (f fakeKafka) endOffsets(ctx context.Context) (map[int32]int64, error) {
	return f.b.EndOffsets(ctx)
}

// lakeBackend is where the daemons land.
type lakeBackend int

const (
	// lakeLocal is a directory of the test's temporary directory.
	lakeLocal lakeBackend = iota
	// lakeHDFS is /lake on an in-process HDFS test cluster, which the
	// daemons reach over loopback TCP.
	lakeHDFS
	// lakeRealHDFS is /lake on Apache HDFS (test/system/minidfs), owned by
	// the daemons' user lander; see realhdfs_test.go.
	lakeRealHDFS
	// lakeIceberg is a local lake of Iceberg tables (lake.format iceberg)
	// on a SQL catalog in PostgreSQL (test/system/postgres); see
	// iceberg_test.go.
	lakeIceberg
	// lakeIcebergHDFS is lakeHDFS's lake holding Iceberg tables on the SQL
	// catalog.
	lakeIcebergHDFS
	// lakeIcebergRealHDFS is lakeRealHDFS's lake holding Iceberg tables on
	// the SQL catalog.
	lakeIcebergRealHDFS
)

// iceberg reports whether the daemons land Iceberg tables.
func (b lakeBackend) iceberg() bool {
	return b == lakeIceberg || b == lakeIcebergHDFS || b == lakeIcebergRealHDFS
}

// storage is where the lake's files live: lakeLocal, lakeHDFS or
// lakeRealHDFS.
func (b lakeBackend) storage() lakeBackend {
	switch b {
	case lakeIceberg:
		return lakeLocal
	case lakeIcebergHDFS:
		return lakeHDFS
	case lakeIcebergRealHDFS:
		return lakeRealHDFS
	}
	return b
}

// hdfsCallTimeout is the daemons' hdfs.call_timeout, and the reader's: a
// call to a NameNode that is down fails quickly.
const hdfsCallTimeout = 2 * time.Second

// setup is what a test varies about its topic, lake and daemons.
type setup struct {
	partitions     int32
	maxFileRecords int
	maxFileAge     time.Duration
	shutdown       time.Duration // shutdown.deadline
	backend        lakeBackend
	kafka          kafkaSetup // the zero value is the in-process broker
	// tenancy lands several tenants, named by a record header, interleaved
	// on every partition; see tenantMix. false lands today's single-tenant
	// layout.
	tenancy bool
}

// harness is one test's broker, topic, lake and record of what was produced.
type harness struct {
	t       *testing.T
	broker  kafkaBroker
	topic   string
	group   string
	lakeDir string            // the local lake, or "" on HDFS
	lakeURL string            // what the daemons get as --lake
	hdfs    *fakehdfs.Cluster // the HDFS lake's cluster, or nil
	dfs     *minidfs.Cluster  // the Apache HDFS lake's cluster, or nil
	reader  sink.FS           // the lake, opened for the checks
	pg      *postgres.Server  // the Iceberg lake's catalog database, or nil
	ice     *icetable.Tables  // the Iceberg tables, opened for the checks
	iceCat  catalog.Catalog   // a reader's catalog of the Iceberg tables
	logDir  string
	cfgPath string
	setup   setup
	// allowGaps lets the lake record offsets as lost to retention; the
	// lake check then requires exactly those to be absent.
	allowGaps bool
	// compacted, set by a test that compacts the Iceberg tables, accounts
	// for the files of their data folders that no current snapshot holds
	// (checkIcebergTable); nil requires every such file in the snapshot.
	compacted *compactedFiles

	mu      sync.Mutex // serialises producing, so offsets follow wants
	gen     *attemptgen.Generator
	mix     *tenantMix         // nil without tenancy
	wants   [][]flatten.Reason // per partition, by offset: "" for a good attempt
	tenants [][]string         // per partition, by offset: the tenant directory ("" without tenancy)
	sent    int
}

// newHarness starts a broker with a fresh topic and writes the daemons'
// configuration file. Records are generated from seed.
func newHarness(t *testing.T, s setup, seed int64) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{
		t:       t,
		topic:   "attempts-e2e",
		group:   "landerd-e2e",
		logDir:  filepath.Join(dir, "logs"),
		cfgPath: filepath.Join(dir, "landerd.yaml"),
		setup:   s,
		gen:     attemptgen.New(attemptgen.Config{Seed: seed, BadRate: 0.01, DuplicateRate: 0.01}),
		wants:   make([][]flatten.Reason, s.partitions),
		tenants: make([][]string, s.partitions),
	}
	if s.tenancy {
		h.mix = newTenantMix(seed)
	}
	if keep := os.Getenv("LANDERD_E2E_LOGS"); keep != "" {
		h.logDir = filepath.Join(keep, strings.ReplaceAll(t.Name(), "/", "_"))
	}
	if err := os.MkdirAll(h.logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	h.openLake()
	if s.kafka.cluster != nil {
		h.broker = startRealKafka(t, s.kafka, h.topic, s.partitions)
	} else {
		b, err := fakekafka.Start(fakekafka.Config{Topic: h.topic, Partitions: s.partitions, MinSessionTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		h.broker = fakeKafka{b}
	}
	if err := os.WriteFile(h.cfgPath, []byte(h.configYAML()), 0o644); err != nil {
		t.Fatal(err)
	}
	return h
}

// configYAML is the daemons' configuration: the setup's group timing, frequent
// flushes, no metrics listener (several daemons share the host), and for
// an HDFS lake a short call timeout.
func (h *harness) configYAML() string {
	rowGroup := min(500, h.setup.maxFileRecords)
	timing := h.setup.kafka.timing.orShort()
	cfg := fmt.Sprintf(`kafka:
  dial_timeout: 5s
  session_timeout: %s
  heartbeat_interval: %s
  rebalance_timeout: %s
lake:
  roll:
    max_file_records: %d
    max_file_age: %s
  row_group_rows: %d
shutdown:
  deadline: %s
metrics:
  addr: ""
log:
  level: info
  format: json
`, timing.session, timing.heartbeat, timing.rebalance,
		h.setup.maxFileRecords, h.setup.maxFileAge, rowGroup, h.setup.shutdown)
	if h.mix != nil {
		cfg += h.mix.configYAML(h.tenantGroup)
	}
	if st := h.setup.backend.storage(); st == lakeHDFS || st == lakeRealHDFS {
		// landerd checks the hdfs section against the file's lake.url,
		// before --lake applies, and rejects it for any other lake.
		cfg += fmt.Sprintf("hdfs:\n  user: lander\n  call_timeout: %s\n", hdfsCallTimeout)
		cfg = strings.Replace(cfg, "lake:\n", fmt.Sprintf("lake:\n  url: %s\n", h.lakeURL), 1)
	}
	if h.setup.backend.iceberg() {
		cfg = strings.Replace(cfg, "lake:\n", "lake:\n"+h.icebergYAML(), 1)
	}
	return cfg
}

// openLake creates the lake of the harness's backend and opens it for
// the checks; the test's cleanup closes it.
func (h *harness) openLake() {
	h.t.Helper()
	if h.setup.backend.iceberg() {
		h.startCatalog()
	}
	switch h.setup.backend.storage() {
	case lakeLocal:
		h.lakeDir = filepath.Join(h.t.TempDir(), "lake")
		if err := os.MkdirAll(h.lakeDir, 0o755); err != nil {
			h.t.Fatal(err)
		}
		h.lakeURL = h.lakeDir
		l, err := sink.NewLocal(h.lakeDir)
		if err != nil {
			h.t.Fatal(err)
		}
		h.reader = l
	case lakeHDFS:
		h.hdfs = fakehdfs.Start(h.t, fakehdfs.Config{BlockSize: 256 << 10})
		h.lakeURL = "hdfs://" + h.hdfs.Addr() + "/lake"
		h.readHDFS()
	case lakeRealHDFS:
		h.openRealHDFS()
	default:
		h.t.Fatalf("unknown lake backend %d", h.setup.backend)
	}
	if h.setup.backend.iceberg() && h.setup.backend.storage() != lakeLocal {
		// The checks read the tables' hdfs:// files through the reader.
		unregister, err := iceio.Register(h.reader)
		if err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(unregister)
	}
}

// produce generates n records and produces them, spreading them over the
// partitions in turn, and remembers which table each belongs in.
func (h *harness) produce(ctx context.Context, n int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	recs := make([]fakekafka.Record, n)
	added := make([]int32, 0, n)
	for i := range recs {
		r := h.gen.Next()
		p := int32(h.sent % int(h.setup.partitions))
		h.sent++
		recs[i] = fakekafka.Record{Key: r.Key, Value: r.Value, Partition: p}
		want, tenant := r.Want, ""
		if h.mix != nil {
			recs[i].Headers, want, tenant = h.mix.next(r.Want)
		}
		h.wants[p] = append(h.wants[p], want)
		h.tenants[p] = append(h.tenants[p], tenant)
		added = append(added, p)
	}
	if err := h.broker.produce(ctx, recs); err != nil {
		// Nothing can say which records made it; the comparison with the
		// end offsets will fail, as it should.
		return fmt.Errorf("produce %d records: %w", n, err)
	}
	return nil
}

// grow records that the topic now has partitions partitions: produce
// spreads records over them all, and the checks expect them.
func (h *harness) grow(partitions int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for int32(len(h.wants)) < partitions {
		h.wants = append(h.wants, nil)
		h.tenants = append(h.tenants, nil)
	}
	h.setup.partitions = partitions
}

// producer produces total records in chunks, one chunk every interval,
// in the background.
type producer struct {
	done   chan struct{}
	hurry  chan struct{} // closed by finish: produce the rest without pausing
	once   sync.Once
	steady bool // after total, keep producing a chunk per interval until finish
	err    error
}

// startProducer starts producing in the background; the test waits for
// it with wait or finish, and its cleanup stops it.
func (h *harness) startProducer(ctx context.Context, total, chunk int, every time.Duration) *producer {
	return h.runProducer(ctx, &producer{}, total, chunk, every)
}

// startSteadyProducer is startProducer for a scenario that needs records
// arriving until its last step however slowly the machine runs it: once
// total records are produced it keeps producing one chunk per interval
// until finish is called. The harness counts every record produced, so the
// lake is judged against all of them.
func (h *harness) startSteadyProducer(ctx context.Context, total, chunk int, every time.Duration) *producer {
	return h.runProducer(ctx, &producer{steady: true}, total, chunk, every)
}

// runProducer starts p.
func (h *harness) runProducer(ctx context.Context, p *producer, total, chunk int, every time.Duration) *producer {
	ctx, cancel := context.WithCancel(ctx)
	p.done, p.hurry = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for sent := 0; sent < total || p.steady && !p.hurried(); sent += chunk {
			n := chunk
			if sent < total {
				n = min(chunk, total-sent)
			}
			if err := h.produce(ctx, n); err != nil {
				p.err = err
				return
			}
			select {
			case <-ctx.Done():
				p.err = ctx.Err()
				return
			case <-p.hurry:
			case <-tick.C:
			}
		}
	}()
	h.t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// hurried reports whether finish was called.
func (p *producer) hurried() bool {
	select {
	case <-p.hurry:
		return true
	default:
		return false
	}
}

// wait waits for the producer to finish.
func (p *producer) wait(t *testing.T) {
	t.Helper()
	<-p.done
	if p.err != nil {
		t.Fatalf("producer: %v", p.err)
	}
}

// finish produces the remaining records without pausing between chunks,
// and waits until they are produced.
func (p *producer) finish(t *testing.T) {
	t.Helper()
	p.once.Do(func() { close(p.hurry) })
	p.wait(t)
}

// endOffsets returns the topic's end offsets and checks them against what
// was produced.
func (h *harness) endOffsets(ctx context.Context) map[int32]int64 {
	h.t.Helper()
	ends, err := h.broker.endOffsets(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range h.setup.partitions {
		if ends[p] != int64(len(h.wants[p])) {
			h.t.Fatalf("partition %d: end offset %d, but %d records were produced to it", p, ends[p], len(h.wants[p]))
		}
	}
	return ends
}

// lake returns the lake, open for reading.
func (h *harness) lake() sink.FS { return h.reader }

// landed returns, per partition, the offset after the last published flush
// (0 when nothing is published).
func (h *harness) landed() (map[int32]int64, error) {
	lake := h.lake()
	out := make(map[int32]int64, h.setup.partitions)
	for p := range h.setup.partitions {
		next, err := sink.Landed(lake, h.topic, p)
		// A read can race the daemon replacing state.json: on HDFS the old
		// file's blocks go with it. Read again, for a bounded time.
		for end := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(end); {
			time.Sleep(100 * time.Millisecond)
			next, err = sink.Landed(lake, h.topic, p)
		}
		if err != nil {
			return nil, err
		}
		if next > 0 {
			out[p] = next
		}
	}
	return out, nil
}

// waitLanded waits up to limit until the lake holds every offset up to the
// topic's end offsets. It fails the test when the time is up or a daemon
// it watches exits.
func (h *harness) waitLanded(ends map[int32]int64, limit time.Duration, running ...*daemon) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := h.landed()
		if err != nil {
			h.t.Fatalf("read lake state: %v", err)
		}
		done := true
		for p, end := range ends {
			if got[p] < end {
				done = false
			}
		}
		if done {
			return
		}
		for _, d := range running {
			if d.exited() {
				h.t.Fatalf("%s exited before everything landed (%v); landed %v of %v", d.name, d.exitError(), got, ends)
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %s the lake holds %v of end offsets %v", limit, got, ends)
		}
		<-tick.C
	}
}

// committed returns the consumer group's committed offset per partition
// (-1 when none).
func (h *harness) committed(ctx context.Context) map[int32]int64 {
	h.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.broker.addrs()...))
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = h.group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = h.topic
	for p := range h.setup.partitions {
		rt.Partitions = append(rt.Partitions, p)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		h.t.Fatalf("fetch committed offsets: %v", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		h.t.Fatalf("fetch committed offsets: %v", err)
	}
	out := map[int32]int64{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				h.t.Fatalf("fetch committed offset of partition %d: %v", p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	if len(out) != int(h.setup.partitions) {
		h.t.Fatalf("fetch committed offsets: got %d partitions, want %d", len(out), h.setup.partitions)
	}
	return out
}

// testSeed returns the seed of a test's random choices: LANDERD_E2E_SEED
// when set (to replay a failure), otherwise the clock. It is logged.
func testSeed(t *testing.T) int64 {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv("LANDERD_E2E_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("LANDERD_E2E_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("seed %d (replay with LANDERD_E2E_SEED=%d go test -run '^%s$' ./test/e2e/)", seed, seed, t.Name())
	return seed
}

// readHDFS opens the reader the checks use on the HDFS lake at h.lakeURL,
// closed before the cluster that serves it stops.
func (h *harness) readHDFS() {
	l, err := sink.NewHDFS(h.lakeURL, sink.HDFSOptions{User: checkerUser, CallTimeout: hdfsCallTimeout})
	if err != nil {
		h.t.Fatal(err)
	}
	// Registered after the cluster's cleanup, so it runs before it.
	h.t.Cleanup(func() {
		if err := l.Close(); err != nil {
			h.t.Errorf("close %s: %v", l, err)
		}
	})
	h.reader = l
}
