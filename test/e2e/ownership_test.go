package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// How long each partition is without an owner, measured from the
// daemons' JSON logs; see TestRollingRestartRealKafka.

// ownerGapLimit is the longest a partition may be without an owner while
// replicas are replaced or scaled down.
const ownerGapLimit = 5 * time.Second

// The daemon's log lines after which a process no longer owns the
// partition named in the line, besides msgPartitionRelease: its final
// flush failed, or its owner stopped on an error.
const (
	msgFinalFlushFailed = "final flush failed; its records will be read again"
	msgPartitionStopped = "partition stopped; its unpublished data will be read again"
)

// tenure is one process's ownership of one partition: from its
// "partition assigned" line to its next "partition released", "final
// flush failed" or "partition stopped" line for the partition, or to the
// end of the process when it logged none. to is the zero time while the
// tenure lasts.
type tenure struct {
	daemon   string
	from, to time.Time
}

// tenures returns, per partition of the harness's topic, the tenures of
// the daemons, each from their log lines' times.
func (h *harness) tenures(daemons []*daemon) map[int32][]tenure {
	out := map[int32][]tenure{}
	for _, d := range daemons {
		// The end first: once it is set, every line has been read.
		ended := d.endTime()
		open := map[int32]time.Time{}
		for _, l := range d.logs(func(l logLine) bool { return l.Partition != nil && l.Topic == h.topic }) {
			p := *l.Partition
			switch l.Msg {
			case msgPartitionAssign:
				if _, ok := open[p]; !ok {
					open[p] = l.TS
				}
			case msgPartitionRelease, msgFinalFlushFailed, msgPartitionStopped:
				if from, ok := open[p]; ok {
					out[p] = append(out[p], tenure{daemon: d.name, from: from, to: l.TS})
					delete(open, p)
				}
			}
		}
		for p, from := range open {
			out[p] = append(out[p], tenure{daemon: d.name, from: from, to: ended})
		}
	}
	return out
}

// openTenures returns the owner of every partition that one of daemons
// owns now.
func (h *harness) openTenures(daemons []*daemon) map[int32]string {
	out := map[int32]string{}
	for p, ts := range h.tenures(daemons) {
		for _, tn := range ts {
			if tn.to.IsZero() {
				out[p] = tn.daemon
			}
		}
	}
	return out
}

// waitOwned waits up to limit until every partition is owned by one of
// all and each of each owns at least one, and returns that moment.
func (h *harness) waitOwned(all, each []*daemon, limit time.Duration) time.Time {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		owners := h.openTenures(all)
		count := map[string]int{}
		for _, d := range owners {
			count[d]++
		}
		done := len(owners) == int(h.setup.partitions)
		for _, d := range each {
			if count[d.name] == 0 {
				done = false
			}
		}
		if done {
			return time.Now()
		}
		for _, d := range each {
			if d.exited() {
				h.t.Fatalf("%s exited before every partition was owned (%v): owners %v", d.name, d.exitError(), owners)
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %s not every partition is owned, or not by each of the replicas: owners %v", limit, owners)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ownerGap is a stretch of time in which no process owned a partition.
type ownerGap struct {
	partition int32
	from, to  time.Time
	// released names the process that owned the partition last before
	// the gap, assigned the one that owned it next ("" for none).
	released, assigned string
}

func (g ownerGap) length() time.Duration { return g.to.Sub(g.from) }

// ownerGaps returns, for each of partitions, the stretches of [from, to]
// in which none of the tenures lasts.
func ownerGaps(tenures map[int32][]tenure, partitions int32, from, to time.Time) []ownerGap {
	var gaps []ownerGap
	for p := range partitions {
		// Everything in [from, covered) is owned or already a gap; holder
		// owned the partition at covered.
		covered, holder := from, ""
		ts := slices.Clone(tenures[p])
		slices.SortFunc(ts, func(a, b tenure) int { return a.from.Compare(b.from) })
		for _, tn := range ts {
			end := tn.to
			if end.IsZero() || end.After(to) {
				end = to
			}
			if !end.After(covered) {
				continue
			}
			if tn.from.After(covered) {
				if !tn.from.Before(to) {
					break
				}
				gaps = append(gaps, ownerGap{partition: p, from: covered, to: tn.from, released: holder, assigned: tn.daemon})
			}
			covered, holder = end, tn.daemon
		}
		if covered.Before(to) {
			gaps = append(gaps, ownerGap{partition: p, from: covered, to: to, released: holder})
		}
	}
	return gaps
}

// checkOwnerGaps measures, from the daemons' logs, how long each
// partition was without owner between from and to (see
// TestRollingRestartRealKafka), logs the figures, and fails the test if
// any stretch is longer than ownerGapLimit.
func (h *harness) checkOwnerGaps(daemons []*daemon, from, to time.Time) {
	h.t.Helper()
	gaps := ownerGaps(h.tenures(daemons), h.setup.partitions, from, to)
	longest := make([]time.Duration, h.setup.partitions)
	count := make([]int, h.setup.partitions)
	var worst ownerGap
	for _, g := range gaps {
		count[g.partition]++
		longest[g.partition] = max(longest[g.partition], g.length())
		if g.length() > worst.length() {
			worst = g
		}
	}
	var per []string
	for p := range h.setup.partitions {
		per = append(per, fmt.Sprintf("%d: %s (%d)", p, longest[p].Round(time.Millisecond), count[p]))
	}
	h.t.Logf("time without owner over %s, per partition (longest, number of stretches): %s",
		to.Sub(from).Round(time.Second), strings.Join(per, ", "))
	if len(gaps) > 0 {
		h.t.Logf("longest without owner: partition %d for %s, from %s after the window opened, released by %s, assigned to %q",
			worst.partition, worst.length().Round(time.Millisecond), worst.from.Sub(from).Round(10*time.Millisecond), worst.released, worst.assigned)
	}
	for _, g := range gaps {
		if g.length() > ownerGapLimit {
			next := g.assigned
			if next == "" {
				next = "none until the end of the window"
			}
			h.t.Errorf("partition %d without owner for %s (limit %s): released by %q %s after the window opened, next owner %s",
				g.partition, g.length().Round(time.Millisecond), ownerGapLimit, g.released, g.from.Sub(from).Round(10*time.Millisecond), next)
		}
	}
}

// TestOwnerGaps checks the measurement of TestRollingRestartRealKafka and
// TestScaleDownRealKafka on made-up tenures: a window of 10 s.
func TestOwnerGaps(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var open time.Time
	for _, tc := range []struct {
		name    string
		tenures []tenure
		want    []ownerGap // of partition 0
	}{
		{"owned throughout", []tenure{{"a", at(-5), open}}, nil},
		{"handed over", []tenure{{"a", at(-5), at(2)}, {"b", at(3.5), open}},
			[]ownerGap{{from: at(2), to: at(3.5), released: "a", assigned: "b"}}},
		{"taken back by the same process", []tenure{{"a", at(-5), at(2)}, {"a", at(3), at(20)}},
			[]ownerGap{{from: at(2), to: at(3), released: "a", assigned: "a"}}},
		{"overlapping owners", []tenure{{"a", at(-5), at(4)}, {"b", at(3), open}}, nil},
		{"out of order, two gaps", []tenure{{"c", at(6), open}, {"a", at(-1), at(1)}, {"b", at(2), at(5)}},
			[]ownerGap{{from: at(1), to: at(2), released: "a", assigned: "b"}, {from: at(5), to: at(6), released: "b", assigned: "c"}}},
		{"never owned again", []tenure{{"a", at(-5), at(7)}},
			[]ownerGap{{from: at(7), to: at(10), released: "a"}}},
		{"owned again after the window", []tenure{{"a", at(-5), at(7)}, {"b", at(12), open}},
			[]ownerGap{{from: at(7), to: at(10), released: "a"}}},
		{"a gap open when the window opens", []tenure{{"a", at(-5), at(-1)}, {"b", at(1), open}},
			[]ownerGap{{from: at(0), to: at(1), assigned: "b"}}},
		{"not owned at all", nil, []ownerGap{{from: at(0), to: at(10)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Partition 1 is owned throughout: it adds no gap.
			ten := map[int32][]tenure{0: tc.tenures, 1: {{"z", at(-10), open}}}
			got := ownerGaps(ten, 2, at(0), at(10))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
