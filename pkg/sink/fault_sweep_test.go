package sink_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/faultfs"
)

// topicOffsets are the offsets of the simulated Kafka partition: 0..39 with
// gaps, as compaction or transaction markers leave them. Under -short
// (make unit) the topic is 0..19: three flushes instead of five, still with
// gaps and a short last batch, so the sweep still fails every call of every
// operation, in roughly a quarter of the time (fewer calls, each run shorter).
func topicOffsets() []int64 {
	end := int64(40)
	if testing.Short() {
		end = 20
	}
	var out []int64
	for o := int64(0); o < end; o++ {
		if o%7 != 6 {
			out = append(out, o)
		}
	}
	return out
}

// consume runs a landerd-like owner loop over fsys until the whole topic is
// landed: claim, resume from the lake (or from the committed Kafka offset),
// flush batches of 8 records, commit to Kafka only after Publish returns
// nil, and on any error behave like a crashed process (claim again). After
// every claim it checks the invariant: the lake holds exactly the topic's
// offsets below NextOffset, each once, and Kafka's committed offset is not
// ahead of the lake.
//
// With leakCheck, it also asserts that every Arrow allocation was released.
// pqarrow leaks a few small buffers to the garbage collector when the sink
// fails in the middle of a row group, so write faults run without it.
func consume(t *testing.T, fsys sink.FS, check sink.FS, leakCheck bool) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	if leakCheck {
		defer mem.AssertSize(t, 0)
	}
	topic := topicOffsets()
	committed := int64(0) // the consumer group's committed offset
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			t.Fatal("the topic was not landed after 20 claims")
		}
		p, err := sink.Claim(ctx, fsys, "t", 0)
		if err != nil {
			if errors.Is(err, sink.ErrCorrupt) {
				t.Fatalf("claim: %v", err)
			}
			continue // a fault during claim: try again
		}
		next := p.NextOffset()
		if next < 0 {
			next = committed
		}
		if next < committed {
			t.Fatalf("lake resumes at %d, behind the committed offset %d", next, committed)
		}
		checkPrefix(t, check, topic, next)

		var pending []int64
		for _, o := range topic {
			if o >= next {
				pending = append(pending, o)
			}
		}
		if len(pending) == 0 {
			return
		}
		for len(pending) > 0 {
			batch := pending[:min(8, len(pending))]
			if err := sink.FlushForTest(t, ctx, p, mem, batch); err != nil {
				if !errors.Is(err, faultfs.ErrInjected) {
					t.Fatalf("flush: %v; want only injected faults", err)
				}
				_ = p.Abandon() // may fail too; the next claim cleans up
				break
			}
			pending = pending[len(batch):]
			committed = batch[len(batch)-1] + 1
		}
	}
}

// checkPrefix asserts that the lake holds exactly the topic's offsets below
// next, once each.
func checkPrefix(t *testing.T, fsys sink.FS, topic []int64, next int64) {
	t.Helper()
	got := sink.LakeRowsForTest(t, fsys)
	want := 0
	for _, o := range topic {
		if o >= next {
			break
		}
		want++
		if got[o] != 1 {
			t.Fatalf("resuming at %d: offset %d appears %d times in the lake; want 1", next, o, got[o])
		}
	}
	if len(got) != want {
		t.Fatalf("resuming at %d: lake holds %d offsets; want %d", next, len(got), want)
	}
}

// TestExactlyOnceUnderFaults fails the Nth call of each operation, for
// every N the fault-free run reaches, and checks after every recovery that
// the lake holds exactly the published flushes, never a duplicate.
func TestExactlyOnceUnderFaults(t *testing.T) {
	// A fault-free run counts the calls of each operation.
	cleanLake := sink.NewTestLake(t)
	clean, err := faultfs.New(cleanLake, "")
	if err != nil {
		t.Fatal(err)
	}
	consume(t, clean, cleanLake, true)

	ops := []faultfs.Op{faultfs.OpCreate, faultfs.OpWrite, faultfs.OpClose, faultfs.OpRename, faultfs.OpRemove, faultfs.OpMkdir, faultfs.OpOpen}
	for _, op := range ops {
		total := clean.Calls(op)
		if total == 0 {
			t.Fatalf("the fault-free run made no %s call", op)
		}
		// Sweep every call; for the hundreds of writes, a stride: 40
		// points along the run, 20 under -short (make unit).
		points := int64(40)
		if testing.Short() {
			points = 20
		}
		stride := max(1, total/points)
		t.Run(string(op), func(t *testing.T) {
			for n := int64(1); n <= total; n += stride {
				inner := sink.NewTestLake(t)
				ffs, err := faultfs.New(inner, fmt.Sprintf("%s=%d", op, n))
				if err != nil {
					t.Fatal(err)
				}
				consume(t, ffs, inner, op != faultfs.OpWrite)
				if ffs.Fired() != 1 {
					t.Fatalf("%s=%d: fault fired %d times; want 1", op, n, ffs.Fired())
				}
			}
		})
		t.Logf("%s: %d calls swept with stride %d", op, total, stride)
	}
}
