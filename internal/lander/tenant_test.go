package lander

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// threeTenants are the tenants of the tests.
var threeTenants = []config.Tenant{
	{Name: "pearson", Group: "pearson-readers"},
	{Name: "acme", Group: "acme-readers"},
	{Name: "globex", Group: "globex-readers"},
}

func hdr(key, value string) header { return header{key: []byte(key), value: []byte(value)} }

// TestTenantResolver resolves a record's tenant from each source, and
// checks every way a record can lack a known tenant.
func TestTenantResolver(t *testing.T) {
	headerSrc := config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant", Tenants: threeTenants}
	topicSrc := config.Tenancy{Source: config.TenantSourceTopic, TopicPattern: "assessment-attempts.{tenant}", Tenants: threeTenants}
	none := config.Default().Tenancy
	tests := []struct {
		name    string
		tenancy config.Tenancy
		topic   string
		headers []header
		tenant  string
		reason  flatten.Reason
		detail  string // the error text, when quarantined
	}{
		{"none ignores headers", none, "t", []header{hdr("tenant", "nobody")}, "", "", ""},
		{"none without headers", none, "t", nil, "", "", ""},
		{"header", headerSrc, "t", []header{hdr("x", "y"), hdr("tenant", "acme")}, "acme", "", ""},
		{"header's first occurrence counts", headerSrc, "t", []header{hdr("tenant", "globex"), hdr("tenant", "nobody")}, "globex", "", ""},
		{"header absent", headerSrc, "t", nil, "", flatten.ReasonTenantMissing, `tenant_missing: no header "tenant"`},
		{"only other headers", headerSrc, "t", []header{hdr("Tenant", "acme")}, "", flatten.ReasonTenantMissing, `tenant_missing: no header "tenant"`},
		{"header empty", headerSrc, "t", []header{hdr("tenant", "")}, "", flatten.ReasonTenantMissing, `tenant_missing: header "tenant" is empty`},
		{"header names an unknown tenant", headerSrc, "t", []header{hdr("tenant", "initech")}, "", flatten.ReasonTenantUnknown,
			`tenant_unknown: header "tenant" holds "initech", which is not a configured tenant`},
		{"header in another case", headerSrc, "t", []header{hdr("tenant", "Acme")}, "", flatten.ReasonTenantUnknown,
			`tenant_unknown: header "tenant" holds "Acme", which is not a configured tenant`},
		{"header is the unassigned directory", headerSrc, "t", []header{hdr("tenant", sink.UnassignedTenant)}, "", flatten.ReasonTenantUnknown,
			`tenant_unknown: header "tenant" holds "_unassigned", which is not a configured tenant`},
		{"topic", topicSrc, "assessment-attempts.pearson", nil, "pearson", "", ""},
		{"topic ignores headers", topicSrc, "assessment-attempts.acme", []header{hdr("tenant", "globex")}, "acme", "", ""},
		{"topic of an unknown tenant", topicSrc, "assessment-attempts.initech", nil, "", flatten.ReasonTenantUnknown,
			`tenant_unknown: topic "assessment-attempts.initech" names tenant "initech", which is not a configured tenant`},
		{"topic not matching the pattern", topicSrc, "assessment-attempts", nil, "", flatten.ReasonTenantUnknown,
			`tenant_unknown: topic "assessment-attempts" does not match tenancy.topic_pattern "assessment-attempts.{tenant}"`},
		{"topic with an empty tenant part", topicSrc, "assessment-attempts.", nil, "", flatten.ReasonTenantUnknown,
			`tenant_unknown: topic "assessment-attempts." does not match tenancy.topic_pattern "assessment-attempts.{tenant}"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newTenantResolver(tc.tenancy)
			tenant, why := r.resolve(tc.topic, tc.headers)
			if tenant != tc.tenant {
				t.Errorf("tenant %q, want %q", tenant, tc.tenant)
			}
			switch {
			case tc.reason == "" && why != nil:
				t.Errorf("error %v, want none", why)
			case tc.reason != "" && why == nil:
				t.Errorf("no error, want %s", tc.reason)
			case tc.reason != "" && (why.Reason != tc.reason || why.Error() != tc.detail):
				t.Errorf("error %s %q, want %s %q", why.Reason, why.Error(), tc.reason, tc.detail)
			}
		})
	}
}

func TestTenantHive(t *testing.T) {
	on := newTenantResolver(config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant", Tenants: threeTenants})
	off := newTenantResolver(config.Default().Tenancy)
	if got := on.tenantHive("acme", "ingest_date=2026-11-25"); got != "tenant=acme/ingest_date=2026-11-25" {
		t.Errorf("with tenancy: %q", got)
	}
	if got := off.tenantHive("", "ingest_date=2026-11-25"); got != "ingest_date=2026-11-25" {
		t.Errorf("without tenancy: %q", got)
	}
}

// TestOwnerTenantLayout drives an owner with header tenancy: each tenant's
// rows, good and bad, land under tenant=T; records of no known tenant
// land in _quarantine under tenant=_unassigned; the metrics carry the
// same tenants.
func TestOwnerTenantLayout(t *testing.T) {
	for _, by := range []config.PartitionBy{partitionByIngest, partitionByEvent} {
		t.Run(string(by), func(t *testing.T) {
			start := midnight.Add(time.Hour)
			r := newOwnerRig(t, start, rollPolicy{maxRecords: 1000, maxBytes: 1 << 30, maxAge: time.Minute, maxHives: 20, daily: true}, by, -1)
			r.o.conf.tenants = newTenantResolver(config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant", Tenants: threeTenants})
			ctx := context.Background()
			g := attemptgen.New(attemptgen.Config{Seed: 3, Start: start})
			add := func(offset int64, value []byte, headers ...header) {
				t.Helper()
				if err := r.o.add(ctx, record{offset: offset, value: value, headers: headers}); err != nil {
					t.Fatal(err)
				}
			}
			add(0, g.Next().Value, hdr("tenant", "pearson"))
			add(1, g.Next().Value, hdr("tenant", "acme"))
			add(2, []byte("not json"), hdr("tenant", "acme"))
			add(3, g.Next().Value) // no header
			add(4, g.Next().Value, hdr("tenant", "initech"))
			add(5, []byte("not json"), hdr("tenant", "")) // the tenant problem wins
			add(6, g.Next().Value, hdr("tenant", "pearson"))
			if err := r.o.close(ctx, rollShutdown); err != nil {
				t.Fatal(err)
			}
			if len(r.lake.flushes) != 1 {
				t.Fatalf("%d flushes, want 1", len(r.lake.flushes))
			}
			rows := r.lake.flushes[0].rows
			day := string(by) + "=" + start.Format(time.DateOnly)
			quaDay := "ingest_date=" + start.Format(time.DateOnly)
			if by == partitionByEvent {
				day = "" // checked by prefix below: event dates come from the generator
			}
			got := map[string]int64{}
			for k, n := range rows {
				if by == partitionByEvent && !strings.HasPrefix(k, flatten.TableQuarantine+"/") {
					table, hive, _ := strings.Cut(k, "/")
					tenant, date, _ := strings.Cut(hive, "/")
					if !strings.HasPrefix(date, "event_date=") {
						t.Errorf("%s: not under event_date", k)
					}
					k = table + "/" + tenant + "/"
				}
				if table, _, _ := strings.Cut(k, "/"); table == flatten.TableQuestions {
					continue
				}
				got[k] += n
			}
			want := map[string]int64{
				"attempts/tenant=pearson/" + day:                             2,
				"attempts/tenant=acme/" + day:                                1,
				"_quarantine/tenant=acme/" + quaDay:                          1,
				"_quarantine/tenant=" + sink.UnassignedTenant + "/" + quaDay: 3,
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("rows by table and hive:\n got %v\nwant %v", got, want)
			}
			if rows["questions/tenant=pearson/"+day] == 0 && by == partitionByIngest {
				t.Errorf("no questions under tenant=pearson: %v", rows)
			}
			checkCounter(t, r, "landerd_lake_landed_rows_total", map[string]string{"tenant": "pearson", "table": "attempts"}, 2)
			checkCounter(t, r, "landerd_lake_landed_rows_total", map[string]string{"tenant": "acme", "table": "_quarantine"}, 1)
			checkCounter(t, r, "landerd_lake_landed_rows_total", map[string]string{"tenant": sink.UnassignedTenant, "table": "_quarantine"}, 3)
			checkCounter(t, r, "landerd_lake_published_files_total", map[string]string{"tenant": sink.UnassignedTenant, "table": "_quarantine"}, 1)
			checkCounter(t, r, "landerd_quarantine_records_total", map[string]string{"tenant": "acme", "reason": "invalid_json"}, 1)
			checkCounter(t, r, "landerd_quarantine_records_total", map[string]string{"tenant": sink.UnassignedTenant, "reason": "tenant_missing"}, 2)
			checkCounter(t, r, "landerd_quarantine_records_total", map[string]string{"tenant": sink.UnassignedTenant, "reason": "tenant_unknown"}, 1)
			r.mem.AssertSize(t, 0)
		})
	}
}

// checkCounter compares the sum of a counter's series whose labels include
// want with n.
func checkCounter(t *testing.T, r *ownerRig, name string, want map[string]string, n float64) {
	t.Helper()
	fams, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for k, v := range want {
				if label(m, k) != v {
					continue series
				}
			}
			got += m.GetCounter().GetValue()
		}
	}
	if got != n {
		t.Errorf("%s%v = %v, want %v", name, want, got, n)
	}
}

// tpo names a record: topic, partition, offset.
type tpo struct {
	topic     string
	partition int32
	offset    int64
}

// wantRec is where a record belongs: its tenant directory and the reason
// it is quarantined for ("" for a good attempt).
type wantRec struct {
	tenant string
	reason flatten.Reason
}

// checkTenantLake reads attempts and _quarantine back and checks that
// every record of want is there exactly once, under its tenant, in the
// right table with the right reason, and nothing else is. It returns the
// rows found per tenant and table.
func checkTenantLake(t *testing.T, lake sink.FS, want map[tpo]wantRec) map[[2]string]int {
	t.Helper()
	seen := map[tpo]int{}
	perTenant := map[[2]string]int{}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		files, err := sink.ListDataFiles(lake, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, df := range files {
			tenant, _ := sink.TenantOf(df.Hive)
			tbl, err := sink.ReadTable(context.Background(), lake, df.Path, mem)
			if err != nil {
				t.Fatal(err)
			}
			rdr := array.NewTableReader(tbl, 0)
			for rdr.Next() {
				rec := rdr.RecordBatch()
				topics := colByName(t, rec, "kafka_topic").(*array.String)
				parts := colByName(t, rec, "kafka_partition").(*array.Int32)
				offs := colByName(t, rec, "kafka_offset").(*array.Int64)
				var reasons *array.String
				if table == flatten.TableQuarantine {
					reasons = colByName(t, rec, "reason").(*array.String)
				}
				for i := range int(rec.NumRows()) {
					k := tpo{topics.Value(i), parts.Value(i), offs.Value(i)}
					seen[k]++
					perTenant[[2]string{tenant, table}]++
					w, ok := want[k]
					reason := ""
					if reasons != nil {
						reason = reasons.Value(i)
					}
					switch {
					case !ok:
						t.Errorf("%s: row %v was never produced", df.Path, k)
					case k.topic != df.Topic:
						t.Errorf("%s: row of topic %s", df.Path, k.topic)
					case tenant != w.tenant:
						t.Errorf("%v: under tenant %q (%s), want %q", k, tenant, df.Path, w.tenant)
					case (table == flatten.TableAttempts) != (w.reason == ""):
						t.Errorf("%v: in %s, want reason %q", k, table, w.reason)
					case reason != string(w.reason):
						t.Errorf("%v: quarantined as %q, want %q", k, reason, w.reason)
					}
				}
			}
			rdr.Release()
			tbl.Release()
		}
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("%v: in the lake %d times, want once", k, seen[k])
		}
	}
	return perTenant
}

// waitTopicsLanded waits until the lake's state covers every record of want.
func waitTopicsLanded(t *testing.T, lake sink.FS, want map[tpo]wantRec, within time.Duration) {
	t.Helper()
	ends := map[[2]string]int64{}
	parts := map[[2]string]int32{}
	for k := range want {
		id := [2]string{k.topic, fmt.Sprint(k.partition)}
		ends[id] = max(ends[id], k.offset+1)
		parts[id] = k.partition
	}
	deadline := time.Now().Add(within)
	for {
		done := true
		for id, end := range ends {
			next, err := sink.Landed(lake, id[0], parts[id])
			if err != nil {
				t.Fatal(err)
			}
			if next < end {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not landed within %s", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTopicTenantsLand consumes three tenants' topics
// assessment-attempts.<tenant>, plus one of a tenant not configured, with
// tenants taken from the topic: each tenant's records land under
// tenant=<tenant> exactly once, the unknown tenant's in _quarantine under
// tenant=_unassigned, and the tenant-labelled metrics equal the lake.
func TestTopicTenantsLand(t *testing.T) {
	const unknown = "assessment-attempts.initech"
	topics := []string{"assessment-attempts.pearson", "assessment-attempts.acme", "assessment-attempts.globex", unknown}
	const partitions = 2
	b, err := fakekafka.Start(fakekafka.Config{Topic: topics[0], MoreTopics: topics[1:], Partitions: partitions, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	f := newFixture(t, partitions)
	f.b = b
	f.cfg.Kafka.Brokers = []string{b.Addr()}
	f.cfg.Kafka.Topic, f.cfg.Kafka.Topics = "", topics
	f.cfg.Tenancy = config.Tenancy{Source: config.TenantSourceTopic, TopicPattern: "assessment-attempts.{tenant}", Tenants: threeTenants}
	if err := f.cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	gen := attemptgen.New(attemptgen.Config{Seed: 11, BadRate: 0.05})
	want := map[tpo]wantRec{}
	next := map[[2]string]int64{}
	var recs []fakekafka.Record
	for i := range size(1600, 600) {
		r := gen.Next()
		topic := topics[i%len(topics)]
		p := int32(i/len(topics)) % partitions
		id := [2]string{topic, fmt.Sprint(p)}
		k := tpo{topic, p, next[id]}
		next[id]++
		tenant, _ := f.cfg.Tenancy.TenantOfTopic(topic)
		w := wantRec{tenant, r.Want}
		if topic == unknown {
			w = wantRec{sink.UnassignedTenant, flatten.ReasonTenantUnknown}
		}
		want[k] = w
		recs = append(recs, fakekafka.Record{Key: r.Key, Value: r.Value, Partition: p, Topic: topic})
	}
	if err := b.ProduceWith(context.Background(), fakekafka.ProduceOptions{ManualPartition: true}, recs); err != nil {
		t.Fatal(err)
	}
	s, stop := f.runWithMetrics(t)
	waitTopicsLanded(t, f.lake, want, 90*time.Second)
	stop()
	perTenant := checkTenantLake(t, f.lake, want)
	r := s.scrape(t)
	for _, tenant := range []string{"pearson", "acme", "globex", sink.UnassignedTenant} {
		for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
			n := perTenant[[2]string{tenant, table}]
			got := r.sum("landerd_lake_landed_rows_total", map[string]string{"tenant": tenant, "table": table})
			if got != float64(n) {
				t.Errorf("landed rows of %s in %s: metric %v, lake %d", tenant, table, got, n)
			}
			if table == flatten.TableQuarantine {
				if q := r.sum("landerd_quarantine_records_total", map[string]string{"tenant": tenant}); q != float64(n) {
					t.Errorf("quarantined records of %s: metric %v, lake %d", tenant, q, n)
				}
			}
		}
		if tenant != sink.UnassignedTenant && perTenant[[2]string{tenant, flatten.TableAttempts}] == 0 {
			t.Errorf("no attempts landed for %s", tenant)
		}
	}
	if n := r.sum("landerd_quarantine_records_total", map[string]string{"tenant": sink.UnassignedTenant, "reason": "tenant_unknown"}); n != float64(size(1600, 600)/4) {
		t.Errorf("tenant_unknown: %v, want %d", n, size(1600, 600)/4)
	}
	for _, topic := range topics {
		if n := r.sum("landerd_group_assigned_partitions", map[string]string{"topic": topic}); n != 0 {
			t.Errorf("%s: %v partitions assigned after the stop", topic, n)
		}
		if n := r.sum("landerd_group_rebalances_total", map[string]string{"topic": topic}); n < 1 {
			t.Errorf("%s: no rebalance counted", topic)
		}
	}
}

// TestHeaderTenantsLand lands one topic whose partitions interleave three
// tenants' records, named by a header, with some records missing the
// header, holding an empty one or naming an unknown tenant.
func TestHeaderTenantsLand(t *testing.T) {
	f := newFixture(t, 3)
	f.cfg.Tenancy = config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant", Tenants: threeTenants}
	if err := f.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	gen := attemptgen.New(attemptgen.Config{Seed: 12, BadRate: 0.05})
	want := map[tpo]wantRec{}
	next := map[int32]int64{}
	var recs []fakekafka.Record
	for i := range size(1500, 600) {
		r := gen.Next()
		p := int32(i % 3)
		k := tpo{topic, p, next[p]}
		next[p]++
		var hs []fakekafka.Header
		w := wantRec{reason: r.Want}
		switch i % 23 {
		case 5:
			w = wantRec{sink.UnassignedTenant, flatten.ReasonTenantMissing}
		case 11:
			hs = []fakekafka.Header{{Key: "tenant", Value: nil}}
			w = wantRec{sink.UnassignedTenant, flatten.ReasonTenantMissing}
		case 17:
			hs = []fakekafka.Header{{Key: "tenant", Value: []byte("initech")}}
			w = wantRec{sink.UnassignedTenant, flatten.ReasonTenantUnknown}
		default:
			w.tenant = threeTenants[(i/3)%3].Name
			hs = []fakekafka.Header{{Key: "trace", Value: []byte("x")}, {Key: "tenant", Value: []byte(w.tenant)}}
		}
		want[k] = w
		recs = append(recs, fakekafka.Record{Key: r.Key, Value: r.Value, Partition: p, Headers: hs})
	}
	if err := f.b.ProduceWith(context.Background(), fakekafka.ProduceOptions{ManualPartition: true}, recs); err != nil {
		t.Fatal(err)
	}
	stop := f.run(t)
	waitTopicsLanded(t, f.lake, want, 90*time.Second)
	stop()
	perTenant := checkTenantLake(t, f.lake, want)
	for _, tn := range threeTenants {
		if perTenant[[2]string{tn.Name, flatten.TableAttempts}] == 0 {
			t.Errorf("no attempts landed for %s", tn.Name)
		}
	}
	if perTenant[[2]string{sink.UnassignedTenant, flatten.TableQuarantine}] == 0 {
		t.Error("nothing quarantined under tenant=_unassigned")
	}
}

// TestMaxHivesGrowsWithTenants: a flush interleaving every tenant's
// records (and some of none) does not roll for spanning too many Hive
// partitions.
func TestMaxHivesGrowsWithTenants(t *testing.T) {
	if got := maxHives(config.Default().Tenancy); got != maxOpenHives {
		t.Errorf("without tenancy: %d, want %d", got, maxOpenHives)
	}
	on := config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant", Tenants: threeTenants}
	if got := maxHives(on); got != maxOpenHives+len(threeTenants)+1 {
		t.Errorf("with %d tenants: %d, want %d", len(threeTenants), got, maxOpenHives+len(threeTenants)+1)
	}
}

// BenchmarkResolveHeader resolves a known tenant from the third of three
// headers: it must not allocate.
func BenchmarkResolveHeader(b *testing.B) {
	r := newTenantResolver(config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant", Tenants: threeTenants})
	hs := []header{hdr("trace", "abc"), hdr("source", "web"), hdr("tenant", "globex")}
	b.ReportAllocs()
	for b.Loop() {
		if t, why := r.resolve("t", hs); t != "globex" || why != nil {
			b.Fatal(t, why)
		}
	}
}

// TestHiveOfNamesEveryDay: the cached Hive names are those formatted from
// the date, on both sides of every day boundary (also before the epoch),
// per tenant and partition column, and stay right when the cache is full.
func TestHiveOfNamesEveryDay(t *testing.T) {
	for _, tenancy := range []config.Tenancy{{}, {Source: config.TenantSourceHeader, Header: "tenant", Tenants: threeTenants}} {
		r := newTenantResolver(tenancy)
		o := &owner{conf: &ownerConfig{tenants: r}, names: map[hiveKey]string{}}
		for _, base := range []time.Time{
			time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
			time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
			time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC),
		} {
			for _, d := range []time.Duration{-time.Second, -time.Microsecond, 0, time.Microsecond, time.Second, 12 * time.Hour, 24*time.Hour - time.Microsecond} {
				at := base.Add(d)
				for _, by := range []config.PartitionBy{partitionByIngest, partitionByEvent} {
					for _, tenant := range []string{"a", "b"} {
						want := string(by) + "=" + at.UTC().Format(time.DateOnly)
						if r.enabled() {
							want = "tenant=" + tenant + "/" + want
						}
						for range 2 { // formatted, then from the cache
							if got := o.hiveOf(tenant, by, at.In(time.FixedZone("east", 5*3600))); got != want {
								t.Fatalf("hiveOf(%q, %s, %s) = %q, want %q", tenant, by, at, got, want)
							}
						}
					}
				}
			}
		}
	}
	o := &owner{conf: &ownerConfig{}, names: map[hiveKey]string{}}
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range maxHiveNames + 10 {
		at := day.AddDate(0, 0, i)
		if got, want := o.hiveOf("", partitionByEvent, at), "event_date="+at.Format(time.DateOnly); got != want {
			t.Fatalf("day %d: hiveOf = %q, want %q", i, got, want)
		}
	}
	if len(o.names) > maxHiveNames {
		t.Fatalf("%d names cached, want at most %d", len(o.names), maxHiveNames)
	}
}
