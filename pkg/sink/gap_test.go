package sink

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestRecordGap: a recorded gap survives a new claim and later flushes,
// moves the resume offset only when skipped, and is counted once when seen
// again.
func TestRecordGap(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := mustClaim(t, lake, "topic-a", 0)
	p.SetTopicID("00112233445566778899aabbccddeeff")
	if err := flush(t, ctx, p, mem, offsetRange(0, 9)); err != nil {
		t.Fatal(err)
	}

	// Stopped on a gap: recorded, the resume offset stays.
	p = mustClaim(t, lake, "topic-a", 0)
	if got := p.TopicID(); got != "00112233445566778899aabbccddeeff" {
		t.Fatalf("topic id after claim = %q", got)
	}
	if _, err := p.RecordGap(12, 20, false); err == nil || !strings.Contains(err.Error(), "next offset is 10") {
		t.Fatalf("a gap not starting at the next offset: err = %v", err)
	}
	p = mustClaim(t, lake, "topic-a", 0)
	added, err := p.RecordGap(10, 20, false)
	if err != nil || added != 11 {
		t.Fatalf("record stopped gap: added %d, err %v; want 11", added, err)
	}
	if p.NextOffset() != 10 {
		t.Fatalf("next offset on a stopped gap = %d; want 10", p.NextOffset())
	}
	// Seen again, longer, and skipped this time: only the growth counts.
	p = mustClaim(t, lake, "topic-a", 0)
	added, err = p.RecordGap(10, 24, true)
	if err != nil || added != 4 {
		t.Fatalf("record the gap again: added %d, err %v; want 4", added, err)
	}
	if p.NextOffset() != 25 {
		t.Fatalf("next offset after a skipped gap = %d; want 25", p.NextOffset())
	}
	if got, err := Landed(lake, "topic-a", 0); err != nil || got != 25 {
		t.Fatalf("landed after a skipped gap = %d, %v; want 25", got, err)
	}
	if err := flush(t, ctx, p, mem, offsetRange(25, 29)); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(lake, "topic-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Gaps) != 1 || st.Gaps[0].First != 10 || st.Gaps[0].Last != 24 || !st.Gaps[0].Skipped || st.Gaps[0].Reason != GapRetention {
		t.Fatalf("gaps after the next flush = %+v; want one skipped 10..24", st.Gaps)
	}
	if st.Next() != 30 || st.TopicID != "00112233445566778899aabbccddeeff" {
		t.Fatalf("state next %d topic id %q", st.Next(), st.TopicID)
	}
	got := lakeRows(t, lake)
	for o := int64(0); o < 30; o++ {
		want := 1
		if o >= 10 && o <= 24 {
			want = 0
		}
		if got[o] != want {
			t.Fatalf("offset %d appears %d times in the lake; want %d", o, got[o], want)
		}
	}
}

// TestGapOnlyState: a gap recorded before anything of the partition was
// published makes a state of its own, which the next claim reads.
func TestGapOnlyState(t *testing.T) {
	lake := newTestLake(t)
	p := mustClaim(t, lake, "topic-a", 2)
	if _, err := p.RecordGap(0, 99, true); err != nil {
		t.Fatal(err)
	}
	p = mustClaim(t, lake, "topic-a", 2)
	if p.NextOffset() != 100 || len(p.Gaps()) != 1 {
		t.Fatalf("after a gap-only state: next %d gaps %+v; want 100 and one gap", p.NextOffset(), p.Gaps())
	}
}
