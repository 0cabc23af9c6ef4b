package iceberg

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/test/kit/repo"
)

// eventDateView is what python/tests_iceberg/event_date.py prints of one
// reader.
type eventDateView struct {
	Spec          string           `json:"spec"`
	Partitions    map[string]int64 `json:"partitions"`
	IsNullRows    int64            `json:"is_null_rows"`
	IsNullFolders []string         `json:"is_null_folders"`
	ByDay         map[string]int64 `json:"by_day"`
}

// TestEventDateReaders lands generated attempts with landerd under
// lake.partition_by event_date into the hadoop catalog, one in four
// without started_at and the rest over three days, and has pyiceberg and
// Spark read them: both must see the null partition with exactly the
// attempts without started_at, every day's partition with its attempts,
// and for started_at IS NULL return those attempts from the null
// partition's files alone.
func TestEventDateReaders(t *testing.T) {
	dir := t.TempDir()
	bin, err := repo.BuildLanderd(dir)
	if err != nil {
		t.Fatal(err)
	}
	const topic = "attempts-event-date"
	b, err := fakekafka.Start(fakekafka.Config{Topic: topic, Partitions: 2, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	days := []string{"2026-11-20", "2026-11-21", "2026-11-22"}
	want := map[string]int64{}
	started := regexp.MustCompile(`"started_at":"[^"]*"`)
	gen := attemptgen.New(attemptgen.Config{Seed: 5})
	const n = 1200
	recs := make([]fakekafka.Record, n)
	for i := range recs {
		r := gen.Next()
		v, day := `null`, "null"
		if i%4 != 3 {
			day = days[i%len(days)]
			v = fmt.Sprintf(`"%sT%02d:00:00Z"`, day, i%24)
		}
		want[day]++
		recs[i] = fakekafka.Record{Key: r.Key, Value: started.ReplaceAll(r.Value, []byte(`"started_at":`+v)), Partition: int32(i % 2)}
	}
	if err := b.ProduceWith(context.Background(), fakekafka.ProduceOptions{ManualPartition: true}, recs); err != nil {
		t.Fatal(err)
	}
	l := &Landed{Bin: bin, Lake: filepath.Join(dir, "lake"), Config: filepath.Join(dir, "landerd.yaml"), Type: "hadoop", env: os.Environ()}
	l.Catalog = Catalog{Warehouse: l.Lake}
	yaml := fmt.Sprintf(`kafka:
  brokers: [%q]
  topic: %s
  instance_id: none
  session_timeout: 3s
  heartbeat_interval: 300ms
  rebalance_timeout: 5s
lake:
  url: %q
  partition_by: event_date
  format: iceberg
  roll:
    max_file_age: 1s
  iceberg:
    catalog:
      type: hadoop
shutdown:
  deadline: 10s
`, b.Addr(), topic, l.Lake)
	if err := os.WriteFile(l.Config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l.runUntil(ctx, t, l.env, n)

	start := time.Now()
	out := Python(t, l.ReaderEnv(nil), filepath.Join("tests_iceberg", "event_date.py"))
	t.Logf("pyiceberg and Spark read the tables in %s", time.Since(start).Round(100*time.Millisecond))
	var got map[string]eventDateView
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decode python/tests_iceberg/event_date.py's output: %v\n%s", err, out)
	}
	if s := got["pyiceberg"].Spec; s != "event_date=day" {
		t.Errorf("pyiceberg: spec %q, want event_date=day", s)
	}
	for _, reader := range []string{"pyiceberg", "spark"} {
		v := got[reader]
		if fmt.Sprint(v.Partitions) != fmt.Sprint(want) {
			t.Errorf("%s: rows by partition %v, want %v", reader, v.Partitions, want)
		}
		if v.IsNullRows != want["null"] || fmt.Sprint(v.IsNullFolders) != "[event_date=null]" {
			t.Errorf("%s: started_at IS NULL: %d rows from %v, want %d from [event_date=null]", reader, v.IsNullRows, v.IsNullFolders, want["null"])
		}
		t.Logf("%s: rows by partition %v; started_at IS NULL: %d rows from %v", reader, v.Partitions, v.IsNullRows, v.IsNullFolders)
	}
	if fmt.Sprint(got["spark"].ByDay) != fmt.Sprint(want) {
		t.Errorf("spark: rows by CAST(started_at AS DATE) %v, want %v", got["spark"].ByDay, want)
	}
}
