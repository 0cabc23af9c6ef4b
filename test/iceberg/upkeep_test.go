package iceberg

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lander"
	"github.com/landerd/landerd/internal/upkeep"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// member is one daemon of the upkeep test: a lander, the upkeep loop
// bound to it and the registry of both.
type member struct {
	name string
	reg  *prometheus.Registry
	stop func()
}

// startMember runs a lander and its upkeep loop as landerd run does, the
// upkeep every conf.Every, polling for leadership every 200 ms.
func (f *fixture) startMember(t *testing.T, name string, conf config.Upkeep) *member {
	t.Helper()
	reg := prometheus.NewRegistry()
	tables := f.tables(t, reg, nil)
	log := zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel)).Named(name)
	l := lander.New(f.cfg, f.lake, log, lander.WithTables(tables))
	up := upkeep.New(tables, f.lake, conf, metrics.NewUpkeep(reg), log, l.LeadsUpkeep, upkeep.WithPolling(200*time.Millisecond, 500*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run %s: %v", name, err)
		}
	})
	wg.Go(func() { up.Run(ctx) })
	return &member{name: name, reg: reg, stop: func() { cancel(); wg.Wait() }}
}

// value sums the series of metric name in m's registry whose labels
// include every pair of labels; ok is false when there is none.
func (m *member) value(t *testing.T, name string, labels map[string]string) (v float64, ok bool) {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, s := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, want := range labels {
				if have[k] != want {
					continue series
				}
			}
			ok = true
			v += s.GetGauge().GetValue() + s.GetCounter().GetValue() + float64(s.GetHistogram().GetSampleCount())
		}
	}
	return v, ok
}

// TestUpkeepInDaemon: two members of a group land into the same tables,
// each with the upkeep on. Only the member assigned partition 0 leads it:
// it exports the tables' sizes, compacts and expires, and the other
// changes nothing and exports no table series. When the leader stops,
// the other takes the upkeep over and compacts what was landed since.
// Once the files are older than remove_orphans_older_than it deletes
// those no snapshot holds, but the ones the partitions' state.json files
// name, and landing goes on.
// Every record stays in the tables exactly once, the report is the Hive
// layout's, and every metric the Iceberg dashboard queries is exported.
func TestUpkeepInDaemon(t *testing.T) {
	f := newFixture(t, 2)
	conf := config.Upkeep{Every: 2 * time.Second, TargetFileSize: config.MiB, ExpireOlderThan: time.Millisecond, RetainLast: 1,
		RemoveOrphansOlderThan: config.MinOrphanOlderThan}
	members := []*member{f.startMember(t, "a", conf), f.startMember(t, "b", conf)}
	defer func() {
		for _, m := range members {
			if m != nil {
				m.stop()
			}
		}
	}()
	for range 8 { // 8 flushes of each partition: 16 small files per table
		f.produce(t, 200)
		f.waitCommitted(t, time.Minute)
	}
	reader := f.reader(t)
	attempts := map[string]string{"table": flatten.TableAttempts}

	// leaderOf waits until exactly one of ms leads and has compacted
	// attempts down to fewer than want files, its gauges equal to the
	// table's file and snapshot counts.
	leaderOf := func(ms []*member, want int) *member {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			var leaders []*member
			for _, m := range ms {
				if v, _ := m.value(t, "landerd_iceberg_upkeep_leader", nil); v == 1 {
					leaders = append(leaders, m)
				}
			}
			if len(leaders) == 1 {
				m := leaders[0]
				rewritten, _ := m.value(t, "landerd_iceberg_compactions_total", map[string]string{"table": flatten.TableAttempts, "result": metrics.CompactRewritten})
				files, _ := m.value(t, "landerd_iceberg_table_data_files", attempts)
				snaps, _ := m.value(t, "landerd_iceberg_table_snapshots", attempts)
				live := len(f.liveFiles(t, reader, flatten.TableAttempts))
				actual := len(f.load(t, reader, flatten.TableAttempts).Metadata().Snapshots())
				if rewritten >= 1 && int(files) == live && live < want && int(snaps) == actual {
					return m
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no single member leading the upkeep with attempts compacted below %d files within 2m (%d leading)", want, len(leaders))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	lead := leaderOf(members, 16)
	var other *member
	for i, m := range members {
		if m != lead {
			other = m
		} else {
			members[i] = nil
		}
	}
	for _, name := range []string{"landerd_iceberg_table_data_files", "landerd_iceberg_table_snapshots", "landerd_iceberg_compactions_total",
		"landerd_iceberg_table_small_files", "landerd_iceberg_expired_snapshots_total"} {
		if _, ok := other.value(t, name, nil); ok {
			t.Errorf("%s, not leading, exports %s", other.name, name)
		}
	}
	// 8 flushes and a compaction made 9 snapshots or more; expiry keeps
	// the newest, and a snapshot's age is at least a millisecond by now.
	if expired, _ := lead.value(t, "landerd_iceberg_expired_snapshots_total", attempts); expired == 0 {
		t.Errorf("%s expired no snapshot of attempts", lead.name)
	}
	if _, ok := lead.value(t, "landerd_iceberg_compaction_last_success_timestamp_seconds", attempts); !ok {
		t.Errorf("%s exports no last compaction time for attempts", lead.name)
	}
	checkDashboardNames(t, lead.reg)
	t.Logf("%s leads: attempts compacted to %d files", lead.name, len(f.liveFiles(t, reader, flatten.TableAttempts)))

	// The leader stops: the other takes over and compacts the new files.
	lead.stop()
	if v, _ := lead.value(t, "landerd_iceberg_table_data_files", nil); v != 0 {
		t.Errorf("%s exports table sizes after it stopped leading", lead.name)
	}
	for range 6 {
		f.produce(t, 200)
		f.waitCommitted(t, time.Minute)
	}
	next := leaderOf([]*member{other}, len(f.liveFiles(t, reader, flatten.TableAttempts)))
	t.Logf("%s took the upkeep over: attempts at %d files", next.name, len(f.liveFiles(t, reader, flatten.TableAttempts)))
	if v, _ := next.value(t, "landerd_iceberg_orphan_files_deleted_total", nil); v != 0 {
		t.Errorf("%s deleted %v files younger than remove_orphans_older_than", next.name, v)
	}

	// Days pass: every file is older than remove_orphans_older_than. The
	// next pass deletes the flush files the compactions replaced and the
	// expired snapshots' manifests, but not the last flush of each
	// partition, which its state.json names.
	sinktest.Age(t, f.lake.Root(), 4*24*time.Hour)
	deadline := time.Now().Add(time.Minute)
	for _, name := range icetable.TableNames() { // a pass removes them table by table
		for {
			if v, _ := next.value(t, "landerd_iceberg_orphan_files_deleted_total", map[string]string{"table": name}); v > 0 {
				t.Logf("%s deleted %v orphan files of %s", next.name, v, name)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s deleted no orphan file of %s within a minute", next.name, name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	f.checkDataFolders(t, reader)
	f.checkExactlyOnce(t)
	// Landing goes on: the next flush of each partition claims and
	// commits as before.
	f.produce(t, 200)
	f.waitCommitted(t, time.Minute)
	f.checkExactlyOnce(t)
	f.checkReport(t)
	for _, name := range icetable.TableNames() {
		if _, err := icetable.CommittedOffsets(f.load(t, reader, name)); err != nil {
			t.Errorf("%s after the upkeep: %v", name, err)
		}
	}
}

// checkDataFolders checks that every file in each table's data folder is
// in the table's current snapshot or named by a partition's state.json,
// and every file of the current snapshot is on disk.
func (f *fixture) checkDataFolders(t *testing.T, cat catalog.Catalog) {
	t.Helper()
	states, err := sink.ReadStates(f.lake)
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, st := range states {
		for _, sf := range st.Files {
			named[filepath.Join(f.lake.Root(), sf.Final)] = true
		}
	}
	for _, name := range icetable.TableNames() {
		live := map[string]bool{}
		for _, loc := range f.liveFiles(t, cat, name) {
			live[strings.TrimPrefix(loc, "file://")] = true
		}
		dir := filepath.Join(f.lake.Root(), icetable.DataDir(f.cfg.Lake.Iceberg.Namespace, name))
		onDisk := map[string]bool{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipDir
			}
			if err == nil && !d.IsDir() {
				onDisk[p] = true
				if !live[p] && !named[p] {
					t.Errorf("%s: %s is in no snapshot and no state.json names it: an orphan left", name, p)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for p := range live {
			if !onDisk[p] {
				t.Errorf("%s: %s of the current snapshot was deleted", name, p)
			}
		}
		t.Logf("%s: %d files in the data folder, %d of them in the current snapshot", name, len(onDisk), len(live))
	}
}

// checkDashboardNames checks that every metric the Iceberg dashboard
// (deploy/grafana/landerd-iceberg.json) queries is in reg.
func checkDashboardNames(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "deploy", "grafana", "landerd-iceberg.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, mf := range mfs {
		known[mf.GetName()] = true
	}
	names := regexp.MustCompile(`landerd_[a-z_]+`)
	queries := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			queries++
			for _, n := range names.FindAllString(tg.Expr, -1) {
				if base := strings.TrimSuffix(n, "_bucket"); !known[n] && !known[base] {
					t.Errorf("panel %q queries %s, which the leader does not export", p.Title, n)
				}
			}
		}
	}
	if queries < 10 {
		t.Errorf("the Iceberg dashboard has %d queries, want the 10 or more it ships with", queries)
	}
}
