package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// faultCase is one storage fault scenario: a faultfs.New spec whose
// call numbers are spread over a run of faultRecords records.
type faultCase struct {
	name string
	spec string
}

// faultRecords is the size of a fault scenario's topic. A clean run of
// that many records over 4 partitions, flushing every 1000 records per
// partition, makes about 52 creates, 52 closes, 48 renames, 6,000 writes,
// 44 mkdirs and 4 opens, and no removes; the call numbers below are spread
// over those ranges (retries after a fault add calls, so later numbers
// are reached too).
const faultRecords = 12000

var faultCases = []faultCase{
	// The second create is the claim of the second partition: the group
	// session fails in setup.
	{"create", "create=2,create=14,create=30,create=47"},
	// Writes of Parquet pages and footers, early, in the middle and late.
	{"write", "write=40,write=1500,write=3500,write=5800"},
	// The second close is a claim file's; later ones data and state files.
	{"close", "close=2,close=12,close=33,close=50"},
	// The first rename is the commit point of the first flush; later ones
	// move data files to their final names after the commit point.
	{"rename", "rename=1,rename=10,rename=27,rename=44"},
	{"mixed", "create=3,write=40,close=2,rename=5"},
	// Directory creation, the state read of a claim, and the removal of a
	// fenced epoch: each fails a claim, so the group session fails in setup.
	{"mkdir-open-remove", "mkdir=6,open=3,remove=1"},
}

// injectedRE finds the injected faults named in a log line's error.
var injectedRE = regexp.MustCompile(`injected fault: (\w+) call (\d+)`)

// TestStorageFaultsExactlyOnce makes the lake's filesystem fail chosen
// calls of each kind while the daemon lands a topic. The daemon must log
// the failure, keep running (abandon, rejoin, re-read from the lake) and
// land everything exactly once.
func TestStorageFaultsExactlyOnce(t *testing.T) {
	// -short lands half as many records, with the first two faults of each
	// spec at half the call numbers.
	records, scale, keep := faultRecords, 1, 0
	if testing.Short() {
		records, scale, keep = faultRecords/2, 2, 2
	}
	storageFaults(t, lakeLocal, records, scale, keep)
}

// TestStorageFaultsExactlyOnceHDFS injects the same faults, at the -short
// size, into a lake on the HDFS test cluster.
func TestStorageFaultsExactlyOnceHDFS(t *testing.T) {
	storageFaults(t, lakeHDFS, faultRecords/2, 2, 2)
}

// storageFaults runs every fault case on a lake on backend with records
// records, call numbers divided by scale and the first keep faults of each
// spec (all when keep is 0).
func storageFaults(t *testing.T, backend lakeBackend, records, scale, keep int) {
	seed := testSeed(t)
	for i, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			spec := scaleSpec(t, tc.spec, scale, keep)
			s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, backend: backend, tenancy: true}
			h := newHarness(t, s, seed+int64(i))
			ctx := t.Context()
			if err := h.produce(ctx, records); err != nil {
				t.Fatal(err)
			}
			d := startDaemon(t, h, "landerd", "LANDERD_INJECT_FAULTS="+spec)
			h.waitLanded(h.endOffsets(ctx), 2*time.Minute, d)
			if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
				t.Fatalf("exit code %d after SIGTERM, want 0 (%v)", code, d.exitError())
			}
			sum := h.checkExactlyOnce(context.Background())

			logged := map[string]bool{}
			for _, l := range d.logs(isProblem) {
				for _, m := range injectedRE.FindAllStringSubmatch(l.Error, -1) {
					logged[m[1]+"="+m[2]] = true
				}
			}
			if len(logged) == 0 {
				t.Errorf("no warning or error mentions an injected fault; spec %s", spec)
			}
			var names []string
			for f := range logged {
				names = append(names, f)
			}
			t.Logf("spec %s: faults logged %v; lake: %s", spec, names, sum)
			logRecovery(t, []*daemon{d})
		})
	}
}

// scaleSpec divides the call numbers of a fault spec by div, rounding up,
// and keeps its first keep items (all when keep is 0).
func scaleSpec(t *testing.T, spec string, div, keep int) string {
	t.Helper()
	items := strings.Split(spec, ",")
	if keep > 0 && keep < len(items) {
		items = items[:keep]
	}
	for i, item := range items {
		op, n, ok := strings.Cut(item, "=")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			t.Fatalf("bad fault spec item %q", item)
		}
		items[i] = fmt.Sprintf("%s=%d", op, (v+div-1)/div)
	}
	return strings.Join(items, ",")
}
