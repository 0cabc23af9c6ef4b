package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// TestReadGaps: the report lists the gaps the lake's bookkeeping records,
// and states them in its text.
func TestReadGaps(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lake, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec := attemptRecord(t, mem, []row{{keen: "k1", exam: s("Git"), base: s("b1"), score: f(0.8), dur: f(60), topic: "t", off: 0}})
	writeFile(t, lake, mem, flatten.TableAttempts, "ingest_date=2026-01-02", flatten.AttemptsTable.Schema, rec, 0, 0)
	rec.Release()
	for p, gap := range map[int32][2]int64{2: {0, 1499}, 5: {10, 19}} {
		part, err := sink.Claim(context.Background(), lake, "t", p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := part.RecordGap(gap[0], gap[1], p == 2); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Read(context.Background(), lake, DefaultOptions(), mem)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Gaps) != 2 || rep.Gaps[0].Partition != 2 || rep.Gaps[0].Offsets != 1500 || !rep.Gaps[0].Skipped ||
		rep.Gaps[1].Partition != 5 || rep.Gaps[1].First != 10 || rep.Gaps[1].Last != 19 || rep.Gaps[1].Skipped {
		t.Fatalf("gaps = %+v; want partition 2 offsets 0..1499 skipped and partition 5 offsets 10..19 refused", rep.Gaps)
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"lost to Kafka retention before landing: 1,510 offsets in 2 gaps",
		"t partition 2 offsets 0..1499 (1,500)", "skipped, landing resumed after it",
		"t partition 5 offsets 10..19 (10)", "partition refused on it",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, b.String())
		}
	}
	// A tenant's report does not read the bookkeeping.
	if rep, err := Read(context.Background(), lake, Options{Tenant: "acme"}, mem); err == nil && len(rep.Gaps) != 0 {
		t.Fatalf("a tenant's report lists gaps: %+v", rep.Gaps)
	}
}
