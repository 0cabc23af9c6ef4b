package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	iceberggo "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/system/iceberg"
	"github.com/landerd/landerd/test/system/kafkacluster"
)

// TestCompactUnderSIGKILLIcebergRealHDFS compacts the Iceberg tables with
// `landerd compact` processes, one after another, while the daemon lands
// from Apache Kafka into them on Apache HDFS, their SQL catalog in
// PostgreSQL; some compactions and some daemons are SIGKILLed at random
// moments and the daemon is restarted each time. A compaction killed
// before its commit leaves the table as it was (its new files in no
// snapshot); one killed after it leaves its rewrite; a killed daemon's
// successor recovers through its claim. Once the producer has finished, a
// last compaction must succeed and bring attempts to fewer files, then
// `landerd expire` trims the snapshots; every record must be in the tables
// exactly once, the data folders must hold only files the current
// snapshots or the compactions account for. Then, the files aged by four
// days, `landerd remove-orphans` must delete every replaced file and
// every killed compaction's file but those a state.json names, a new
// daemon lands more, and `landerd report --json` and Spark's Iceberg
// runtime must read the same tables alike.
func TestCompactUnderSIGKILLIcebergRealHDFS(t *testing.T) {
	begin := time.Now()
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	total := 6000
	kills := []killMoment{killAtRandom, killAfterFlush, killAtRandom}
	compactKills := 2
	if testing.Short() {
		total = 3000
		kills = []killMoment{killAfterFlush}
		compactKills = 1
	}
	// The SIGKILL tests' group timing (realShortTiming says why), and a
	// 2 s roll rather than the 5 min default: each table then gets dozens
	// of small files, four a roll, within the minute the test lands.
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: 2 * time.Second, shutdown: 10 * time.Second,
		backend: lakeIcebergRealHDFS, kafka: ks}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total/10); err != nil {
		t.Fatal(err)
	}
	// A steady stream that lasts through the kills (a restarted daemon
	// may wait for its predecessor's session to expire) and the landing
	// between them, and keeps arriving, slowly, until the last compaction.
	stream := max(45*time.Second, time.Duration(len(kills))*(ks.timing.session+8*time.Second))
	if testing.Short() {
		stream = 25 * time.Second
	}
	chunks := int(stream / (200 * time.Millisecond))
	prod := h.startSteadyProducer(ctx, total-total/10, max(1, (total-total/10)/chunks), 200*time.Millisecond)

	// Compactions all along the stream, while each daemon lands for a
	// random time of up to its share of the stream before its kill moment.
	loop := h.startCompactions(ctx, rand.New(rand.NewPCG(uint64(seed), 2)), compactKills)
	share := stream / time.Duration(len(kills)+1)
	var daemons []*daemon
	for i, moment := range kills {
		d := startDaemon(t, h, fmt.Sprintf("landerd-%d", i))
		daemons = append(daemons, d)
		d.waitAssigned(t, time.Minute)
		time.Sleep(time.Duration(rng.Int64N(int64(share))))
		killAt(t, d, moment, rng, s.partitions)
		h.checkAfterKill(ctx, i, moment, d)
	}
	d := startDaemon(t, h, "landerd-final")
	daemons = append(daemons, d)
	d.waitAssigned(t, time.Minute)
	waitFor(t, stream+2*time.Minute, "the stream produced", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.sent >= total
	})
	runs := loop.stop(t)

	// The last compaction needs small files to rewrite: at least five
	// flushes of attempts after the loop's last compaction.
	base := len(h.snapshotFiles(ctx, flatten.TableAttempts))
	waitFor(t, 2*time.Minute, "five more attempts files after the last compaction of the loop", func() bool {
		return len(h.snapshotFiles(ctx, flatten.TableAttempts)) >= base+5
	})
	prod.finish(t)
	before := h.logSnapshotFiles(ctx, "before the last compaction")
	last := h.compactOnce(ctx, "compact-last", nil)
	if last.killed || last.code != 0 {
		t.Fatalf("the last compaction: exit code %d, want 0\n%s", last.code, last.out)
	}
	after := h.logSnapshotFiles(ctx, "after the last compaction")
	att, ok := last.table(flatten.TableAttempts)
	switch {
	case !ok || att.rewritten == 0:
		t.Errorf("the last compaction rewrote nothing of attempts (%d files before it)\n%s", len(before[flatten.TableAttempts]), last.out)
	case att.after >= att.before:
		t.Errorf("the last compaction left attempts at %d data files, from %d", att.after, att.before)
	default:
		t.Logf("the last compaction: attempts from %d data files to %d (%d rewritten into %d, %d conflicts retried)",
			att.before, att.after, att.rewritten, att.added, att.conflicts)
	}
	if days := hives(after[flatten.TableAttempts]); len(after[flatten.TableAttempts]) < len(days) {
		t.Errorf("attempts has %d data files after the last compaction, fewer than its %d partitions %v", len(after[flatten.TableAttempts]), len(days), days)
	}

	// What the compactions replaced, read before the expiry takes their
	// snapshots out of the metadata.
	retired := h.retiredFiles(ctx)
	// Expiry keeps every snapshot current within its age: once the last
	// compaction is older than that, no kept snapshot holds what it
	// replaced, and remove-orphans below may delete all of it.
	time.Sleep(2 * time.Second)
	exp := h.upkeep(ctx, "expire", "--older-than", "1s", "--retain-last", "1")
	if exp.code != 0 {
		t.Fatalf("landerd expire: exit code %d, want 0\n%s", exp.code, exp.out)
	}
	t.Logf("landerd expire:\n%s", strings.TrimSpace(exp.out))

	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, d)
	h.waitIcebergCommitted(ctx, time.Minute)
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
	}

	h.compacted = &compactedFiles{retired: retired}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
	logRecovery(t, daemons)
	c := h.compacted
	if c.retiredFound != len(retired) {
		t.Errorf("%d data files replaced by compactions, %d of them still in the data folders: compaction and expiry delete no file", len(retired), c.retiredFound)
	}
	killed, succeeded, rewrites, failed := tally(runs)
	if killed == 0 && len(c.uncommitted) > 0 {
		t.Errorf("no compaction was killed, yet %d compacted files are in no snapshot, e.g. %s", len(c.uncommitted), c.uncommitted[0])
	}
	t.Logf("data folders: %d files replaced by compactions, %d written by compactions that never committed", c.retiredFound, len(c.uncommitted))

	// Days pass: every file is older than remove-orphans' age. It must
	// delete the replaced files and the killed compactions' files, but
	// not the ones a partition's state.json names; a daemon started
	// afterwards lands on, and every record is still there once.
	if err := h.dfs.Age("/lake", 4*24*time.Hour); err != nil {
		t.Fatalf("Apache HDFS: %v", err)
	}
	named := h.stateFiles()
	orph := h.upkeep(ctx, "remove-orphans")
	if orph.code != 0 || !strings.Contains(orph.out, "landerd.attempts: deleted ") {
		t.Fatalf("landerd remove-orphans: exit code %d, want 0\n%s", orph.code, orph.out)
	}
	t.Logf("landerd remove-orphans:\n%s", strings.TrimSpace(orph.out))
	spared := map[string]bool{}
	for f := range retired {
		_, err := h.reader.Stat(f)
		switch gone := errors.Is(err, fs.ErrNotExist); {
		case err != nil && !gone:
			t.Fatal(err)
		case named[f] && gone:
			t.Errorf("remove-orphans deleted %s, which a partition's state.json names", f)
		case !named[f] && !gone:
			t.Errorf("remove-orphans left %s, replaced by a compaction, its snapshots expired", f)
		case named[f]:
			spared[f] = true
		}
	}
	for _, f := range c.uncommitted {
		if _, err := h.reader.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("remove-orphans left %s, written by a compaction killed before its commit (%v)", f, err)
		}
	}
	t.Logf("remove-orphans: %d replaced and %d uncommitted files deleted, %d replaced files spared for the states that name them",
		len(retired)-len(spared), len(c.uncommitted), len(spared))
	if err := h.produce(ctx, total/10); err != nil {
		t.Fatal(err)
	}
	d = startDaemon(t, h, "landerd-after-orphans")
	daemons = append(daemons, d)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, d)
	h.waitIcebergCommitted(ctx, time.Minute)
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
	}
	// Now the data folders hold the current snapshots' files and the
	// spared ones, whose partitions have flushed since, nothing else.
	h.compacted = &compactedFiles{retired: spared}
	sum = h.checkExactlyOnce(context.Background())
	t.Logf("lake after remove-orphans and %d more records: %s", total/10, sum)
	if c := h.compacted; c.retiredFound != len(spared) || len(c.uncommitted) > 0 {
		t.Errorf("after remove-orphans: %d of %d spared files found, %d compacted files in no snapshot, e.g. %v",
			c.retiredFound, len(spared), len(c.uncommitted), c.uncommitted)
	}

	final := h.snapshotFiles(ctx, flatten.TableAttempts)
	rep := iceberg.Report(t, landerdBin, h.cfgPath, landerdEnv())
	if rep.Raw.Attempts != int64(sum.Attempts) || rep.QuarantinedRows != int64(sum.Quarantined) || rep.Files != len(final) {
		t.Errorf("landerd report: %d attempts, %d quarantined, %d attempts files read; the lake check found %d attempts, %d quarantined, the snapshot has %d attempts files",
			rep.Raw.Attempts, rep.QuarantinedRows, rep.Files, sum.Attempts, sum.Quarantined, len(final))
	}
	h.checkSpark(rep, sum)

	t.Logf("compactions: %d run in the loop, %d killed, %d exited 0 (%d of them rewrote a table), %d failed, then the last one; daemon kills: %d; test took %s",
		len(runs), killed, succeeded, rewrites, failed, len(kills), time.Since(begin).Round(100*time.Millisecond))
	if killed < compactKills || rewrites == 0 {
		t.Errorf("the loop killed %d compactions, and %d rewrote a table and exited 0; want at least %d killed and one such", killed, rewrites, compactKills)
	}
}

// stateFiles returns the lake paths of the files the partitions'
// state.json files name.
func (h *harness) stateFiles() map[string]bool {
	h.t.Helper()
	states, err := sink.ReadStates(h.reader)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, st := range states {
		for _, f := range st.Files {
			out[f.Final] = true
		}
	}
	return out
}

// compactedFiles accounts, for a test that compacts the tables, for the
// files of the tables' data folders that are in no current snapshot.
//
// Without compaction every file there is in its table's current snapshot
// (checkIcebergTable). With it, a file of a data folder is of one of three
// kinds, and only the first holds rows a reader of the table sees, which
// is where exactly-once is checked:
//
//   - in the current snapshot;
//   - replaced by a committed compaction (retired): a DELETED entry of one
//     of the table's replace snapshots, read before the expiry removes
//     those snapshots from the metadata. Neither compaction nor expiry
//     deletes a file (a reader planning on an older snapshot still reads
//     it), so every such file must still be there;
//   - written by a compaction that never committed, killed before its
//     commit (a failed one deletes its own): in no snapshot ever, so it
//     must bear iceberg-go's name for a compacted file (IsCompacted).
//     A file named for a flush that no snapshot holds is a flush lost to
//     the readers, and fails the check.
type compactedFiles struct {
	// retired holds the lake paths of the files committed compactions
	// replaced.
	retired map[string]bool
	// retiredFound counts the retired files found in the data folders.
	retiredFound int
	// uncommitted lists the files of compactions that never committed.
	uncommitted []string
}

// accounts reports whether f, a file of a table's data folder that its
// current snapshot does not hold, is accounted for by the compactions,
// counting it; false when c is nil.
func (c *compactedFiles) accounts(f string) bool {
	switch {
	case c == nil:
		return false
	case c.retired[f]:
		c.retiredFound++
		return true
	case lakecheck.IsCompacted(path.Base(f)):
		c.uncommitted = append(c.uncommitted, f)
		return true
	}
	return false
}

// retiredFiles returns the lake paths of the data files that committed
// compactions replaced in each table: the DELETED entries of the
// manifests each replace snapshot added. It fails the test when a
// snapshot is neither an append (landerd's flushes) nor a replace (its
// compactions), or when a replace removed other than the number of files
// its summary says.
func (h *harness) retiredFiles(ctx context.Context) map[string]bool {
	h.t.Helper()
	cat, err := h.readerCatalog()
	if err != nil {
		h.t.Fatal(err)
	}
	tables := h.iceTables()
	out := map[string]bool{}
	for _, tenant := range h.iceTenants() {
		for _, name := range icetable.TableNames() {
			ident := table.Identifier{tables.NamespaceOf(tenant), name}
			tbl, err := cat.LoadTable(ctx, ident)
			switch {
			case errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace):
				continue // a table never created holds nothing
			case err != nil:
				h.t.Fatalf("load iceberg table %v: %v", ident, err)
			}
			fio, err := tbl.FS(ctx)
			if err != nil {
				h.t.Fatal(err)
			}
			dir := path.Dir(tables.TenantDataDir(tenant, name))
			for _, snap := range tbl.Metadata().Snapshots() {
				op := table.Operation("")
				if snap.Summary != nil {
					op = snap.Summary.Operation
				}
				if op == table.OpAppend {
					continue
				}
				if op != table.OpReplace {
					h.t.Errorf("iceberg table %v: snapshot %d is a %q, neither an append nor a compaction's replace", ident, snap.SnapshotID, op)
					continue
				}
				manifests, err := snap.Manifests(fio)
				if err != nil {
					h.t.Fatalf("iceberg table %v, snapshot %d: %v", ident, snap.SnapshotID, err)
				}
				removed := 0
				for _, mf := range manifests {
					if mf.SnapshotID() != snap.SnapshotID {
						continue
					}
					for e, err := range mf.Entries(fio, false) {
						if err != nil {
							h.t.Fatalf("iceberg table %v, snapshot %d: %v", ident, snap.SnapshotID, err)
						}
						if e.Status() != iceberggo.EntryStatusDELETED {
							continue
						}
						rel, ok := strings.CutPrefix(e.DataFile().FilePath(), tbl.Location()+"/")
						if !ok {
							h.t.Fatalf("iceberg table %v: replaced file %s lies outside %s", ident, e.DataFile().FilePath(), tbl.Location())
						}
						out[path.Join(dir, rel)] = true
						removed++
					}
				}
				if want := snap.Summary.Properties[icetable.SummaryCompaction]; want != strconv.Itoa(removed) {
					h.t.Errorf("iceberg table %v: compaction snapshot %d removed %d files, its summary says %q", ident, snap.SnapshotID, removed, want)
				}
			}
		}
	}
	return out
}

// snapshotFiles lists the data files of the current snapshot of the
// table name (without tenancy).
func (h *harness) snapshotFiles(ctx context.Context, name string) []string {
	h.t.Helper()
	files, err := h.iceTables().Files(ctx, name)
	if err != nil {
		h.t.Fatal(err)
	}
	return files
}

// logSnapshotFiles logs, and returns by table, the data files of each
// table's current snapshot, with the partitions they are in.
func (h *harness) logSnapshotFiles(ctx context.Context, when string) map[string][]string {
	h.t.Helper()
	out := map[string][]string{}
	var b strings.Builder
	for _, name := range icetable.TableNames() {
		out[name] = h.snapshotFiles(ctx, name)
		fmt.Fprintf(&b, "; %s %d in %v", name, len(out[name]), hives(out[name]))
	}
	h.t.Logf("data files in the current snapshots %s%s", when, b.String())
	return out
}

// hives returns the partition folders of files, sorted.
func hives(files []string) []string {
	var out []string
	for _, f := range files {
		if p := path.Base(path.Dir(f)); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// compactTable is what `landerd compact` printed about one table.
type compactTable struct {
	table                       string
	rewritten, added, conflicts int
	before, after               int // data files before and after its rewrite
	nothing                     bool
}

// The lines `landerd compact` prints of a table it rewrote, and of one it
// left alone (cmd/landerd/compact.go).
var (
	compactedLine = regexp.MustCompile(`^[^.\s]+\.(\S+): rewrote (\d+) data files \(.*\) into (\d+) \(.*\) in \d+ groups, snapshot -?\d+, (\d+) conflicts retried, \S+; data files (\d+) before, (\d+) after$`)
	untouchedLine = regexp.MustCompile(`^[^.\s]+\.(\S+): (\d+) data files \(.*\), nothing to compact$`)
)

// compactRun is one `landerd compact` (or `landerd expire`) process.
type compactRun struct {
	name   string
	killed bool          // SIGKILLed before it exited
	code   int           // its exit code, when it was not killed
	took   time.Duration // from its start to its end
	out    string        // what it printed on stdout
	tables []compactTable
}

// table returns what the run printed about the table name.
func (r compactRun) table(name string) (compactTable, bool) {
	for _, c := range r.tables {
		if c.table == name {
			return c, true
		}
	}
	return compactTable{}, false
}

// rewrote reports whether the run printed a rewrite of some table.
func (r compactRun) rewrote() bool {
	return slices.ContainsFunc(r.tables, func(c compactTable) bool { return c.rewritten > 0 })
}

// String is one line about the run: how it ended and each table's files.
func (r compactRun) String() string {
	end := fmt.Sprintf("exit %d", r.code)
	if r.killed {
		end = "killed"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s after %s", r.name, end, r.took.Round(time.Millisecond))
	for _, c := range r.tables {
		if c.nothing {
			fmt.Fprintf(&b, "; %s %d files, nothing to compact", c.table, c.before)
		} else {
			fmt.Fprintf(&b, "; %s %d -> %d files (%d rewritten, %d conflicts)", c.table, c.before, c.after, c.rewritten, c.conflicts)
		}
	}
	return b.String()
}

// compactKill says when the compaction loop kills a `landerd compact`.
type compactKill int

const (
	// compactFinishes lets it run to its end.
	compactFinishes compactKill = iota
	// compactKillAtRandom kills it after a random share of the time the
	// last compaction that rewrote a table took.
	compactKillAtRandom
	// compactKillAfterTable kills it shortly after it printed its first
	// table, while it rewrites the next.
	compactKillAfterTable
)

// compactOnce runs `landerd compact --config` on the daemons'
// configuration and waits for its end; kill, when not nil, is called once
// the process runs, with a channel that receives each line it prints, and
// returns when the process is to be SIGKILLed (at once if it has not
// ended).
func (h *harness) compactOnce(ctx context.Context, name string, kill func(lines <-chan string, ended <-chan struct{})) compactRun {
	h.t.Helper()
	return h.runUpkeep(ctx, name, kill, "compact")
}

// upkeep runs `landerd <args> --config` on the daemons' configuration to
// its end.
func (h *harness) upkeep(ctx context.Context, args ...string) compactRun {
	h.t.Helper()
	return h.runUpkeep(ctx, args[0], nil, args...)
}

// runUpkeep runs the landerd command args with the daemons'
// configuration, as compactOnce says; its log goes to the test's log
// folder. It fails the test only when the process cannot start, so that
// the compaction loop may call it from its own goroutine.
func (h *harness) runUpkeep(ctx context.Context, name string, kill func(lines <-chan string, ended <-chan struct{}), args ...string) compactRun {
	cmd := exec.CommandContext(ctx, landerdBin, append(args, "--config", h.cfgPath)...)
	cmd.Env = landerdEnv()
	logFile, err := os.Create(filepath.Join(h.logDir, name+".log"))
	if err != nil {
		h.t.Errorf("%s: %v", name, err)
		return compactRun{name: name, code: -1}
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		h.t.Errorf("%s: %v", name, err)
		return compactRun{name: name, code: -1}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		h.t.Errorf("%s: %v", name, err)
		return compactRun{name: name, code: -1}
	}
	lines := make(chan string, 16)
	ended := make(chan struct{})
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			select {
			case lines <- sc.Text():
			default: // nobody watches, or the watcher is behind
			}
		}
	}()
	waited := make(chan error, 1)
	go func() {
		<-read
		waited <- cmd.Wait()
		close(ended)
	}()
	run := compactRun{name: name}
	if kill != nil {
		kill(lines, ended)
		select {
		case <-ended:
		default:
			_ = cmd.Process.Signal(syscall.SIGKILL) // it may have ended meanwhile
		}
	}
	<-waited
	run.took = time.Since(start)
	run.out = out.String()
	// Killed only if the signal ended it, not if it exited first.
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	run.killed = ws.Signaled() && ws.Signal() == syscall.SIGKILL
	run.code = cmd.ProcessState.ExitCode()
	for _, l := range strings.Split(run.out, "\n") {
		if m := compactedLine.FindStringSubmatch(l); m != nil {
			n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
			run.tables = append(run.tables, compactTable{table: m[1], rewritten: n(2), added: n(3), conflicts: n(4), before: n(5), after: n(6)})
		} else if m := untouchedLine.FindStringSubmatch(l); m != nil {
			files, _ := strconv.Atoi(m[2])
			run.tables = append(run.tables, compactTable{table: m[1], before: files, after: files, nothing: true})
		}
	}
	h.t.Logf("%s", run)
	return run
}

// compactions is the loop of `landerd compact` processes that runs
// beside the daemon (startCompactions).
type compactions struct {
	halt chan struct{}
	done chan struct{}
	runs []compactRun // set before done closes
}

// startCompactions runs `landerd compact` processes one after another in
// the background, each after a pause of up to 2 s (small files gather
// meanwhile), drawing from rng whether and when each is SIGKILLed: a
// third run to their end, a third are killed after a random share of the
// time the last run that rewrote a table took (3 s until one has), a
// third shortly after they printed their first table, while they rewrite
// the next. Until wantKills runs are killed, every run is; the loop goes
// on, once stop is called, until it has killed wantKills runs and one has
// rewritten a table and exited 0, for at most 3 minutes.
func (h *harness) startCompactions(ctx context.Context, rng *rand.Rand, wantKills int) *compactions {
	c := &compactions{halt: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		typical := 3 * time.Second
		var killed, rewrites int
		var halted time.Time
		for i := 0; ; i++ {
			select {
			case <-c.halt:
				if halted.IsZero() {
					halted = time.Now()
				}
			default:
			}
			if !halted.IsZero() && (killed >= wantKills && rewrites > 0 || time.Since(halted) > 3*time.Minute) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(rng.Int64N(int64(2 * time.Second)))):
			}
			how := compactKill(rng.IntN(3))
			if killed < wantKills && how == compactFinishes {
				how = compactKillAtRandom + compactKill(rng.IntN(2))
			}
			delay := time.Duration(rng.Int64N(int64(typical)))
			after := time.Duration(rng.Int64N(int64(500 * time.Millisecond)))
			var kill func(lines <-chan string, ended <-chan struct{})
			switch how {
			case compactKillAtRandom:
				kill = func(_ <-chan string, ended <-chan struct{}) {
					select {
					case <-time.After(delay):
					case <-ended:
					}
				}
			case compactKillAfterTable:
				kill = func(lines <-chan string, ended <-chan struct{}) {
					select {
					case <-lines:
						time.Sleep(after)
					case <-ended:
					}
				}
			}
			run := h.compactOnce(ctx, fmt.Sprintf("compact-%d", i), kill)
			c.runs = append(c.runs, run)
			switch {
			case run.killed:
				killed++
			case run.code == 0 && run.rewrote():
				rewrites++
				typical = run.took
			}
		}
	}()
	// The test's context ends before its cleanup, and with it the loop
	// and the process it runs.
	h.t.Cleanup(func() { <-c.done })
	return c
}

// stop asks the loop to end (see startCompactions), waits for it and
// returns its runs.
func (c *compactions) stop(t *testing.T) []compactRun {
	t.Helper()
	close(c.halt)
	<-c.done
	return c.runs
}

// tally counts the runs killed, those that exited 0 and, of those, the
// ones that rewrote a table, and those that exited otherwise.
func tally(runs []compactRun) (killed, succeeded, rewrites, failed int) {
	for _, r := range runs {
		switch {
		case r.killed:
			killed++
		case r.code == 0:
			succeeded++
			if r.rewrote() {
				rewrites++
			}
		default:
			failed++
		}
	}
	return killed, succeeded, rewrites, failed
}

// checkSpark reads the tables with Spark's Iceberg runtime on their SQL
// catalog and hdfs:// lake (test/system/iceberg's Readers) and fails the
// test unless the seven answers are the report's and each table's rows
// and distinct (partition, offset) are those the lake check counted, once
// each: every record of the topic once over attempts and _quarantine.
func (h *harness) checkSpark(rep report.Report, sum lakecheck.Summary) {
	h.t.Helper()
	env := iceberg.Env(h.pg, iceberg.Catalog{Warehouse: h.lakeURL})
	a := iceberg.Readers(h.t, env, iceberg.Ask{Lineage: true}, iceberg.EngineSpark)[iceberg.EngineSpark]
	iceberg.Compare(h.t, "Spark", a.Answers, rep)
	if a.Lineage == nil {
		h.t.Fatal("Spark counted no lineage")
	}
	h.mu.Lock()
	total := int64(0)
	for p := range h.setup.partitions {
		total += int64(len(h.wants[p]))
	}
	h.mu.Unlock()
	want := map[string]iceberg.LineageCount{
		flatten.TableAttempts:   {Rows: int64(sum.Attempts), Keys: int64(sum.Attempts)},
		flatten.TableQuarantine: {Rows: int64(sum.Quarantined), Keys: int64(sum.Quarantined)},
		flatten.TableQuestions:  {Rows: int64(sum.Questions), Keys: a.Lineage.Tables[flatten.TableQuestions].Keys},
	}
	for name, w := range want {
		if g := a.Lineage.Tables[name]; g != w {
			h.t.Errorf("Spark: %s holds %d rows of %d distinct records; want %d of %d", name, g.Rows, g.Keys, w.Rows, w.Keys)
		}
	}
	if r := a.Lineage.Records; r.Rows != total || r.Keys != total {
		h.t.Errorf("Spark: attempts and _quarantine hold %d rows of %d distinct records; %d were produced", r.Rows, r.Keys, total)
	}
	if q := a.Lineage.Tables[flatten.TableQuestions].Keys; q == 0 || q > int64(sum.Attempts) {
		h.t.Errorf("Spark: questions belong to %d records, want some of the %d attempts", q, sum.Attempts)
	}
	h.t.Logf("Spark: %+v; %s", *a.Lineage, iceberg.Summary(a.Answers))
}
