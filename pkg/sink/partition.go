package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// ErrFenced means that a newer owner has claimed the partition: this owner
// must stop, publish nothing more and commit nothing to Kafka.
var ErrFenced = errors.New("partition ownership lost to a newer owner")

// ErrCorrupt means that the lake's publication state contradicts itself,
// e.g. a published flush lists a file that exists under neither its
// temporary nor its final name. It needs an operator.
var ErrCorrupt = errors.New("lake state is corrupt")

const (
	stateFile      = "state.json"
	stateTmpFile   = "state.json.tmp"
	claimFile      = "claim"
	tmpDir         = "tmp"
	epochPrefix    = "epoch-"
	maxClaimTries  = 64
	maxStateLength = 16 << 20
)

// State is the content of _landerd/<topic>/<partition>/state.json: the last
// flush published for a Kafka partition. Writing it is the commit point of
// a flush.
type State struct {
	Topic       string      `json:"topic"`
	Partition   int32       `json:"partition"`
	Epoch       int64       `json:"epoch"` // owner epoch that published it
	First       int64       `json:"first"` // first Kafka offset of the flush
	Last        int64       `json:"last"`  // last Kafka offset of the flush
	PublishedAt time.Time   `json:"published_at"`
	Files       []StateFile `json:"files"`
	// TopicID is the Kafka topic's id (KIP-516) when the flush was
	// published, in hex; empty when the brokers did not say. A topic
	// deleted and created again under the same name gets a new id.
	TopicID string `json:"topic_id,omitempty"`
	// Gaps lists every range of offsets that Kafka deleted before they
	// were landed, oldest first; it is carried into every later state.
	Gaps []Gap `json:"gaps,omitempty"`
}

// GapRetention is the Reason of a Gap whose offsets the topic's retention
// deleted before they were landed.
const GapRetention = "retention"

// Gap is a range of a partition's offsets that the lake will never hold
// because Kafka no longer has them: the log start offset moved past the
// lake's next offset before they were landed.
type Gap struct {
	First      int64     `json:"first"`  // first offset lost
	Last       int64     `json:"last"`   // last offset lost
	Reason     string    `json:"reason"` // GapRetention
	DetectedAt time.Time `json:"detected_at"`
	// Skipped is true once landing resumed after the gap; false while the
	// partition is refused on it (kafka.on_retention_gap: stop).
	Skipped bool `json:"skipped"`
}

// Offsets is how many offsets the gap spans.
func (g Gap) Offsets() int64 { return g.Last - g.First + 1 }

// Next is the first offset of the partition that the lake neither holds
// nor has recorded as lost and skipped: where landing resumes. It is 0
// for a state that records neither.
func (st *State) Next() int64 {
	next := st.Last + 1
	for _, g := range st.Gaps {
		if g.Skipped {
			next = max(next, g.Last+1)
		}
	}
	return max(next, 0)
}

// hasFlush reports whether the state records a published flush; a state
// written only to record a gap has none.
func (st *State) hasFlush() bool { return len(st.Files) > 0 }

// StateFile is one data file of a published flush.
type StateFile struct {
	Table string `json:"table"`
	Tmp   string `json:"tmp"`   // temporary path, relative to the lake root
	Final string `json:"final"` // published path, relative to the lake root
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	First int64  `json:"first"` // smallest Kafka offset of its rows
	Last  int64  `json:"last"`  // largest Kafka offset of its rows
}

// Recovery reports what Claim repaired.
type Recovery struct {
	// RolledForward counts data files of a committed flush that Claim moved
	// from their temporary to their final name.
	RolledForward int
	// OrphansRemoved counts temporary files of unpublished flushes (of
	// crashed or fenced owners) that Claim deleted.
	OrphansRemoved int
}

// Partition is this process's ownership of one Kafka partition in the lake,
// at one owner epoch. It creates the partition's data files and publishes
// them. It is not safe for concurrent use: one goroutine owns it.
//
// After Publish fails, or after Abandon, the Partition is done: the owner
// must Claim again and resume from the new Partition's NextOffset.
type Partition struct {
	fsys      FS
	topic     string
	partition int32
	dir       string // _landerd/<topic>/<partition:05d>
	epoch     int64
	last      int64  // last published offset; -1 when nothing is published
	state     *State // the committed state; nil when there is none
	recovered Recovery
	topicID   string // recorded in the states this Partition commits
	seq       int
	open      []*dataFile // created and not yet published or abandoned
	done      error       // set once the Partition may no longer be used

	// dataDirs places the data files; nil publishes them under
	// <table>/<hive> (SetDataDirs).
	dataDirs DataDirs

	now func() time.Time
	// hook, when set by tests, runs at the named points of Publish; an error
	// stops Publish there, as a crash would.
	hook func(point string) error
}

// dataFile is a data file that a Partition created: the ParquetFile its
// owner writes, and where the Partition keeps it and publishes it. The
// ParquetFile knows nothing of it.
type dataFile struct {
	pf    *ParquetFile
	table string // the lake table, e.g. flatten.TableAttempts
	hive  string // the Hive partition directory, e.g. "ingest_date=2026-11-24"
	dir   string // the folder it is published in, relative to the lake root
	tmp   string // the temporary path, relative to the lake root
}

// PartitionDir is the control directory of a Kafka partition:
// _landerd/<topic>/<partition:05d>.
func PartitionDir(topic string, partition int32) string {
	return path.Join(ControlDir, topic, fmt.Sprintf("%05d", partition))
}

func epochDir(dir string, epoch int64) string {
	return path.Join(dir, fmt.Sprintf("%s%010d", epochPrefix, epoch))
}

// parseEpoch returns the epoch of an epoch dir name, or -1.
func parseEpoch(name string) int64 {
	digits, ok := strings.CutPrefix(name, epochPrefix)
	if !ok || len(digits) < 10 {
		return -1
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// Claim takes ownership of a Kafka partition in the lake; call it when the
// partition is assigned. It fences every earlier owner, so that none can
// publish afterwards, rolls forward a flush that was committed but not
// finished, deletes orphaned temporary files, and reports through
// NextOffset where consumption must resume.
//
// It fails with ErrFenced when a newer owner claimed the partition
// meanwhile, and with an error wrapping ErrCorrupt when the published state
// names a file that exists nowhere.
func Claim(ctx context.Context, fsys FS, topic string, partition int32) (*Partition, error) {
	if err := checkTopic(topic); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	if partition < 0 {
		return nil, fmt.Errorf("claim %s/%d: negative partition", topic, partition)
	}
	p := &Partition{
		fsys:      fsys,
		topic:     topic,
		partition: partition,
		dir:       PartitionDir(topic, partition),
		last:      -1,
		now:       time.Now,
	}
	if err := p.claim(ctx); err != nil {
		return nil, fmt.Errorf("claim %s/%d: %w", topic, partition, err)
	}
	return p, nil
}

func (p *Partition) claim(ctx context.Context) error {
	// 1. The partition's control directory and its tmp/.
	if err := p.fsys.MkdirAll(path.Join(p.dir, tmpDir)); err != nil {
		return err
	}

	// 2. Take the next epoch: the exclusive Create of epoch-N/claim decides
	// between owners that pick the same N.
	epochs, err := p.epochs()
	if err != nil {
		return err
	}
	n := int64(1)
	if len(epochs) > 0 {
		n = epochs[len(epochs)-1] + 1
	}
	for tries := 0; ; tries++ {
		if tries == maxClaimTries {
			return fmt.Errorf("no free epoch after %d tries", maxClaimTries)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := p.createClaim(n)
		if errors.Is(err, fs.ErrExist) {
			n++
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			// Our epoch dir vanished between MkdirAll and Create: a newer
			// owner fenced it.
			return fmt.Errorf("epoch %d: %w", n, ErrFenced)
		}
		if err != nil {
			return err
		}
		break
	}
	p.epoch = n

	// 3. Fence: remove the staging dir of every earlier epoch. An earlier
	// owner stages its state in its own epoch dir and creates files there
	// without creating parents, so once the dir is gone it cannot commit.
	if epochs, err = p.epochs(); err != nil {
		return err
	}
	for _, m := range epochs {
		if m > n {
			// A newer owner claimed after us; it has fenced or will fence
			// us. Leave it the partition.
			return errors.Join(fmt.Errorf("epoch %d, newer epoch %d exists: %w", n, m, ErrFenced),
				p.fsys.RemoveAll(epochDir(p.dir, n)))
		}
	}
	for _, m := range epochs {
		if m < n {
			if err := p.fsys.RemoveAll(epochDir(p.dir, m)); err != nil {
				return fmt.Errorf("fence epoch %d: %w", m, err)
			}
		}
	}

	// 4. Roll forward the last committed flush: its data files may still sit
	// under their temporary names if the owner stopped after the commit.
	st, err := ReadState(p.fsys, p.topic, p.partition)
	if err != nil {
		return err
	}
	if st != nil {
		for _, f := range st.Files {
			moved, err := p.moveToFinal(f.Tmp, f.Final)
			if err != nil {
				return fmt.Errorf("roll forward flush %d..%d: %w", st.First, st.Last, err)
			}
			if moved {
				p.recovered.RolledForward++
			}
		}
		p.last, p.state, p.topicID = st.Last, st, st.TopicID
	}

	// 5. Whatever is left in tmp/ belongs to no committed flush.
	tmps, err := p.fsys.ReadDir(path.Join(p.dir, tmpDir))
	if err != nil {
		return err
	}
	for _, fi := range tmps {
		if err := p.fsys.RemoveAll(path.Join(p.dir, tmpDir, fi.Name())); err != nil {
			return fmt.Errorf("remove orphan: %w", err)
		}
		p.recovered.OrphansRemoved++
	}
	return nil
}

// epochs lists the epochs that have a staging dir, ascending.
func (p *Partition) epochs() ([]int64, error) {
	infos, err := p.fsys.ReadDir(p.dir)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, fi := range infos {
		if e := parseEpoch(fi.Name()); e >= 0 && fi.IsDir() {
			out = append(out, e) // names are zero-padded, so sorted
		}
	}
	return out, nil
}

// createClaim makes epoch-N/ and creates its claim file exclusively.
func (p *Partition) createClaim(n int64) error {
	dir := epochDir(p.dir, n)
	if err := p.fsys.MkdirAll(dir); err != nil {
		return err
	}
	f, err := p.fsys.Create(path.Join(dir, claimFile))
	if err != nil {
		return err
	}
	host, _ := os.Hostname() // for operators only; empty when unknown
	body, err := json.Marshal(struct {
		Epoch     int64     `json:"epoch"`
		Host      string    `json:"host"`
		PID       int       `json:"pid"`
		ClaimedAt time.Time `json:"claimed_at"`
	}{n, host, os.Getpid(), time.Now().UTC()})
	if err != nil {
		return errors.Join(err, f.Close())
	}
	if _, err := f.Write(body); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

// Landed returns the offset after the last flush of a Kafka partition
// that readers of the lake see whole, 0 when there is none. A flush's
// state is committed before its files are renamed into place: until they
// all are, the flush before it is the last one landed.
func Landed(fsys ReadFS, topic string, partition int32) (int64, error) {
	st, err := ReadState(fsys, topic, partition)
	if err != nil || st == nil {
		return 0, err
	}
	for _, f := range st.Files {
		_, err := fsys.Stat(f.Final)
		if errors.Is(err, fs.ErrNotExist) {
			return st.First, nil
		}
		if err != nil {
			return 0, fmt.Errorf("landed: %w", err)
		}
	}
	return st.Next(), nil
}

// ReadState reads the last published flush of a Kafka partition; it
// returns nil, nil when nothing has been published.
func ReadState(fsys ReadFS, topic string, partition int32) (*State, error) {
	name := path.Join(PartitionDir(topic, partition), stateFile)
	f, err := fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(f, maxStateLength))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", name, err)
	}
	var st State
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("read state %s: %w: %v", name, ErrCorrupt, err)
	}
	flushOK := st.hasFlush() && st.First >= 0 && st.First <= st.Last
	gapOnly := !st.hasFlush() && st.First == -1 && st.Last == -1 && len(st.Gaps) > 0
	if st.Topic != topic || st.Partition != partition || !(flushOK || gapOnly) || !validGaps(st.Gaps) {
		return nil, fmt.Errorf("read state %s: %w: inconsistent content (topic %q partition %d offsets %d..%d, %d files)",
			name, ErrCorrupt, st.Topic, st.Partition, st.First, st.Last, len(st.Files))
	}
	return &st, nil
}

// ReadStates reads the last published flush of every Kafka partition of
// every topic the lake holds (the partition folders of ControlDir), by
// topic and partition; a partition with nothing published is left out.
// A lake with no ControlDir has none (nil); one with it, a non-nil
// slice. An unreadable or corrupt state
// fails the whole call: a caller that spares what the states name must
// not act on part of them.
func ReadStates(fsys ReadFS) ([]*State, error) {
	topics, err := fsys.ReadDir(ControlDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read states: %w", err)
	}
	out := []*State{}
	for _, t := range topics {
		if !t.IsDir() {
			continue
		}
		parts, err := fsys.ReadDir(path.Join(ControlDir, t.Name()))
		if err != nil {
			return nil, fmt.Errorf("read states: %w", err)
		}
		for _, p := range parts {
			n, err := strconv.ParseInt(p.Name(), 10, 32)
			if err != nil || !p.IsDir() {
				continue
			}
			st, err := ReadState(fsys, t.Name(), int32(n))
			if err != nil {
				return nil, err
			}
			if st != nil {
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// validGaps reports whether gaps are well-formed ranges, ascending.
func validGaps(gaps []Gap) bool {
	for i, g := range gaps {
		if g.First < 0 || g.First > g.Last || (i > 0 && g.First <= gaps[i-1].Last) {
			return false
		}
	}
	return true
}

// moveToFinal renames a data file from its temporary to its final name,
// creating the final directory. A missing temporary file whose final name
// exists was moved already (by an earlier attempt or by a concurrent owner
// rolling forward): that counts as done. A file missing under both names
// is corruption.
func (p *Partition) moveToFinal(tmp, final string) (moved bool, err error) {
	if err := p.fsys.MkdirAll(path.Dir(final)); err != nil {
		return false, err
	}
	err = p.fsys.Rename(tmp, final)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if _, serr := p.fsys.Stat(final); serr == nil {
		return false, nil
	} else if !errors.Is(serr, fs.ErrNotExist) {
		return false, serr
	}
	return false, fmt.Errorf("%w: published file %s exists neither as %s nor as %s", ErrCorrupt, path.Base(final), tmp, final)
}

// Topic is the Kafka topic of the partition.
func (p *Partition) Topic() string { return p.topic }

// Partition is the Kafka partition number.
func (p *Partition) Partition() int32 { return p.partition }

// Epoch is this owner's epoch; each Claim gets a higher one.
func (p *Partition) Epoch() int64 { return p.epoch }

// NextOffset is the Kafka offset to resume from: the last published offset
// + 1, or past the last gap recorded as skipped, or -1 when the lake holds
// nothing for this partition and records no gap.
func (p *Partition) NextOffset() int64 {
	if p.state == nil {
		return -1
	}
	return p.state.Next()
}

// TopicID is the topic id the last committed state recorded, "" when
// there is none.
func (p *Partition) TopicID() string {
	if p.state == nil {
		return ""
	}
	return p.state.TopicID
}

// SetTopicID sets the topic id that the states this Partition commits
// record (by default the one the last state recorded).
func (p *Partition) SetTopicID(id string) { p.topicID = id }

// Gaps returns the gaps the committed state records, oldest first.
func (p *Partition) Gaps() []Gap {
	if p.state == nil {
		return nil
	}
	return slices.Clone(p.state.Gaps)
}

// RecordGap commits a gap of lost offsets first..last to the partition's
// state, the same commit point as a flush, so that the record is durable
// before anything after it is published. skipped says whether landing
// resumes after it (NextOffset moves to last+1) or the partition stops on
// it. A gap starting where an unskipped one starts replaces it (it was
// seen again, perhaps longer); it returns the offsets newly recorded as
// lost. Like Publish, after an error the Partition is done.
func (p *Partition) RecordGap(first, last int64, skipped bool) (added int64, err error) {
	if p.done != nil {
		return 0, fmt.Errorf("record gap: %w", p.done)
	}
	if first < 0 || first > last {
		return 0, fmt.Errorf("record gap: invalid offset range %d..%d", first, last)
	}
	if next := p.NextOffset(); next >= 0 && first != next {
		return 0, fmt.Errorf("record gap %d..%d: the lake's next offset is %d", first, last, next)
	}
	st := State{Topic: p.topic, Partition: p.partition, First: -1, Last: -1}
	if p.state != nil {
		st = *p.state
		st.Gaps = slices.Clone(p.state.Gaps)
	}
	st.Epoch, st.PublishedAt, st.TopicID = p.epoch, p.now().UTC(), p.topicID
	g := Gap{First: first, Last: last, Reason: GapRetention, DetectedAt: st.PublishedAt, Skipped: skipped}
	added = g.Offsets()
	if n := len(st.Gaps); n > 0 && st.Gaps[n-1].First == first && !st.Gaps[n-1].Skipped {
		added = max(0, last-st.Gaps[n-1].Last)
		g.DetectedAt = st.Gaps[n-1].DetectedAt
		st.Gaps = st.Gaps[:n-1]
	}
	st.Gaps = append(st.Gaps, g)
	if err := p.commit(&st); err != nil {
		err = fmt.Errorf("record gap %s/%d offsets %d..%d: %w", p.topic, p.partition, first, last, err)
		p.done = err
		return 0, err
	}
	p.state = &st
	return added, nil
}

// Recovered reports what Claim repaired.
func (p *Partition) Recovered() Recovery { return p.recovered }

// Create starts a new temporary data file of this partition for the given
// table (e.g. flatten.TableAttempts) and Hive partition directory (e.g.
// "ingest_date=2026-11-24"). Publish makes it visible; Abandon deletes it.
func (p *Partition) Create(table, hive string, schema *arrow.Schema, opts WriterOptions) (*ParquetFile, error) {
	if p.done != nil {
		return nil, fmt.Errorf("create data file: %w", p.done)
	}
	if err := checkTable(table); err != nil {
		return nil, fmt.Errorf("create data file: %w", err)
	}
	if err := checkHive(hive); err != nil {
		return nil, fmt.Errorf("create data file: %w", err)
	}
	dir, err := p.dataDir(table, hive)
	if err != nil {
		return nil, fmt.Errorf("create data file: %w", err)
	}
	p.seq++
	tmp := path.Join(p.dir, tmpDir, fmt.Sprintf("e%010d-%06d-%s.parquet.tmp", p.epoch, p.seq, table))
	f, err := p.fsys.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("create data file: %w", err)
	}
	pf, err := newParquetFile(f, schema, opts)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("create data file %s: %w", tmp, err), f.Close(), p.fsys.RemoveAll(tmp))
	}
	p.open = append(p.open, &dataFile{pf: pf, table: table, hive: hive, dir: dir, tmp: tmp})
	return pf, nil
}

// finalName is where a data file is published: named after the offsets of
// its rows.
func (p *Partition) finalName(df *dataFile) string {
	first, last := df.pf.Offsets()
	return path.Join(df.dir, FileName(p.topic, p.partition, first, last))
}

// Publish atomically publishes one flush: the files holding the rows of
// Kafka offsets first..last of this partition. When it returns nil, every
// file is durable and visible under its final name, and the caller may
// commit offset last+1 to Kafka. It fails with ErrFenced when a newer owner
// has claimed the partition; then nothing of this flush becomes visible.
//
// After any error the Partition is done: call Abandon, Claim again and
// resume from the new NextOffset. A flush whose commit point was reached
// before the error is completed by that Claim.
func (p *Partition) Publish(ctx context.Context, files []*ParquetFile, first, last int64) error {
	if p.done != nil {
		return fmt.Errorf("publish: %w", p.done)
	}
	if err := p.publish(ctx, files, first, last); err != nil {
		err = fmt.Errorf("publish %s/%d offsets %d..%d: %w", p.topic, p.partition, first, last, err)
		p.done = err
		return err
	}
	return nil
}

func (p *Partition) publish(ctx context.Context, files []*ParquetFile, first, last int64) error {
	flush, err := p.checkFlush(files, first, last)
	if err != nil {
		return err
	}

	// 1. Close every file: its data is durable under its temporary name.
	for _, df := range flush {
		if err := df.pf.Close(); err != nil {
			return err
		}
	}
	if err := p.at("closed"); err != nil {
		return err
	}

	// 2. Name every file after its own offset range.
	st := State{
		Topic: p.topic, Partition: p.partition, Epoch: p.epoch,
		First: first, Last: last, PublishedAt: p.now().UTC(), TopicID: p.topicID,
	}
	if p.state != nil {
		st.Gaps = p.state.Gaps
	}
	finals := make(map[string]bool, len(flush))
	for _, df := range flush {
		final := p.finalName(df)
		if finals[final] {
			return fmt.Errorf("two files would be published as %s", final)
		}
		finals[final] = true
		lo, hi := df.pf.Offsets()
		st.Files = append(st.Files, StateFile{
			Table: df.table, Tmp: df.tmp, Final: final,
			Rows: df.pf.Rows(), Bytes: df.pf.Size(), First: lo, Last: hi,
		})
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// 3. Commit: stage the state in our own epoch dir, then rename it over
	// state.json. A newer owner removes our epoch dir when it claims, so a
	// missing dir or a missing staged file means we are fenced.
	if err := p.commit(&st); err != nil {
		return err
	}
	p.last, p.state = last, &st
	p.open = removeFiles(p.open, flush) // committed: no longer ours to abandon
	if err := p.at("committed"); err != nil {
		return err
	}

	// 4. Move every file to its final name. A crash from here on is
	// repaired by the next Claim, which rolls the committed state forward.
	for i, f := range st.Files {
		if _, err := p.moveToFinal(f.Tmp, f.Final); err != nil {
			return err
		}
		if err := p.at("renamed-" + strconv.Itoa(i)); err != nil {
			return err
		}
	}
	// 5. Every file is visible: the caller may commit last+1 to Kafka.
	return nil
}

// checkFlush validates a flush before anything is touched, and returns
// its files as this Partition created them.
func (p *Partition) checkFlush(files []*ParquetFile, first, last int64) ([]*dataFile, error) {
	switch {
	case len(files) == 0:
		return nil, errors.New("no files")
	case first < 0 || first > last:
		return nil, fmt.Errorf("invalid offset range %d..%d", first, last)
	case first < p.NextOffset():
		return nil, fmt.Errorf("offset %d already published or recorded as lost (next offset %d)", first, p.NextOffset())
	}
	flush := make([]*dataFile, len(files))
	for i, pf := range files {
		df := findFile(p.open, pf)
		lo, hi := pf.Offsets()
		switch {
		case df == nil:
			return nil, fmt.Errorf("file %d of the flush (offsets %d..%d) is not one of this owner's unpublished files", i, lo, hi)
		case pf.Rows() == 0:
			return nil, fmt.Errorf("file %s holds no rows", df.tmp)
		case lo < first || hi > last:
			return nil, fmt.Errorf("file %s holds offsets %d..%d, outside the flush", df.tmp, lo, hi)
		}
		flush[i] = df
	}
	return flush, nil
}

// commit writes the state into the own epoch dir and renames it to
// state.json: the commit point of the flush.
func (p *Partition) commit(st *State) error {
	body, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	// Only this owner writes in its epoch dir, and a Partition is done after
	// a failed Publish, so no staged state is left from an earlier flush.
	staged := path.Join(epochDir(p.dir, p.epoch), stateTmpFile)
	f, err := p.fsys.Create(staged)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stage state at epoch %d: %w", p.epoch, ErrFenced)
	}
	if err != nil {
		return fmt.Errorf("stage state: %w", err)
	}
	if _, err := f.Write(body); err != nil {
		return errors.Join(fmt.Errorf("stage state: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("stage state: %w", err)
	}
	err = p.fsys.Rename(staged, path.Join(p.dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("commit state at epoch %d: %w", p.epoch, ErrFenced)
	}
	if err != nil {
		return fmt.Errorf("commit state: %w", err)
	}
	return nil
}

// at runs the test hook at a named point of Publish.
func (p *Partition) at(point string) error {
	if p.hook == nil {
		return nil
	}
	return p.hook(point)
}

// Abandon closes and deletes this owner's unpublished data files and ends
// the Partition; call it on revocation without a flush, on shutdown past
// the flush deadline, or after an error. Offsets of abandoned rows must not
// be committed. Files it fails to delete are removed by the next Claim.
func (p *Partition) Abandon() error {
	if p.done == nil {
		p.done = errors.New("partition abandoned")
	}
	var errs []error
	for _, df := range p.open {
		_ = df.pf.Close() // the data is discarded; only its removal matters
		if err := p.fsys.RemoveAll(df.tmp); err != nil {
			errs = append(errs, err)
		}
	}
	p.open = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("abandon %s/%d: %w", p.topic, p.partition, err)
	}
	return nil
}

// findFile returns the entry of list that holds pf, or nil.
func findFile(list []*dataFile, pf *ParquetFile) *dataFile {
	for _, df := range list {
		if df.pf == pf {
			return df
		}
	}
	return nil
}

// removeFiles returns list without the files in drop.
func removeFiles(list, drop []*dataFile) []*dataFile {
	out := list[:0]
	for _, df := range list {
		if !slices.Contains(drop, df) {
			out = append(out, df)
		}
	}
	return out
}

// HasState reports whether the lake holds a committed state (a published
// flush or a recorded gap) of any partition of topic other than except.
func HasState(fsys ReadFS, topic string, except int32) (bool, error) {
	dir := path.Join(ControlDir, topic)
	infos, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list partitions of %s: %w", topic, err)
	}
	for _, fi := range infos {
		n, err := strconv.ParseInt(fi.Name(), 10, 32)
		if err != nil || !fi.IsDir() || int32(n) == except {
			continue
		}
		_, err = fsys.Stat(path.Join(dir, fi.Name(), stateFile))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("state of %s/%s: %w", topic, fi.Name(), err)
		}
	}
	return false, nil
}
