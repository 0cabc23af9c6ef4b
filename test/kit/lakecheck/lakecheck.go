package lakecheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// MaxReported bounds the examples Check gives of each kind of problem;
// a line at the end counts the ones left out.
const MaxReported = 10

// Key names a record of the checked topic.
type Key struct {
	Partition int32 // the Kafka partition
	Offset    int64 // the record's offset in it
}

// Want is what the lake must hold.
type Want struct {
	// Topic is the topic landed; a row of another is a problem.
	Topic string
	// Ends holds the end offset of each partition of Topic: every offset
	// below it must be in attempts or _quarantine exactly once.
	Ends map[int32]int64
	// Reasons says the table of each record: "" for attempts, otherwise
	// the reason it is quarantined for. A record it does not hold may be
	// in either table.
	Reasons map[Key]flatten.Reason
	// Tenants says the tenant directory each record lands under ("" for
	// none). A record it does not hold may be under any.
	Tenants map[Key]string
	// Questions checks the questions table as well: one row per question
	// of each landed attempt, under the attempt's tenant, and no other row.
	Questions bool
	// AllowGaps lets the lake record offsets as lost (sink.State's gaps):
	// each must be absent, and only they may be. Without it a recorded gap
	// is a problem.
	AllowGaps bool
	// ReadTries is how many times a data file whose read fails is read, a
	// second apart, before Check gives up (at least once): after a
	// DataNode restart the NameNode may still send a reader to a replica
	// it has not yet learnt is gone.
	ReadTries int
	// File, when set, returns what is wrong with a data file of a checked
	// table (its Hive partition, say), or "".
	File func(f sink.DataFile) string
	// Quarantined, when set, returns what is wrong with the reason and
	// detail of a quarantined row, or "".
	Quarantined func(reason, detail string) string
	// Listed, when set, lists the data files of a table that Check reads,
	// in place of the walk of the table's folder (sink.ListDataFiles): for
	// Iceberg tables, the files of each table's current snapshot as its
	// catalog lists them (CatalogFiles).
	Listed func(ctx context.Context, table string) ([]sink.DataFile, error)
}

// Summary is what Check found in the lake.
type Summary struct {
	// Attempts and Quarantined count the rows of attempts and _quarantine
	// that hold a produced record of the topic; Questions the rows of
	// questions, when Want.Questions.
	Attempts, Quarantined, Questions int
	// Files counts the data files read.
	Files int
	// Gaps counts the gaps of lost offsets the lake records, when
	// Want.AllowGaps, and Lost the offsets they cover; GapsOf holds them
	// by partition.
	Gaps, Lost int
	// GapsOf holds the gaps by partition.
	GapsOf map[int32][]sink.Gap
	// ByTenant counts the records of attempts and _quarantine by the
	// tenant directory they are under ("" for none).
	ByTenant map[string]int

	questions bool // whether questions were read
}

// String says what the lake holds: "40 attempts, 2 quarantined, 95
// questions in 9 files", followed by the gaps and, in a multi-tenant
// lake, the records by tenant.
func (s Summary) String() string {
	out := fmt.Sprintf("%d attempts and %d quarantined in %d files", s.Attempts, s.Quarantined, s.Files)
	if s.questions {
		out = fmt.Sprintf("%d attempts, %d quarantined, %d questions in %d files", s.Attempts, s.Quarantined, s.Questions, s.Files)
	}
	if s.Gaps > 0 {
		out += fmt.Sprintf("; %d offsets recorded as lost in %d gaps", s.Lost, s.Gaps)
	}
	if _, single := s.ByTenant[""]; !single && len(s.ByTenant) > 0 {
		out += fmt.Sprintf("; records by tenant %v", s.ByTenant)
	}
	return out
}

// Check reads the attempts and _quarantine tables of lake back (and
// questions, when w.Questions) and returns what they hold and every way
// they break the delivery contract for w (see the package doc), at most
// MaxReported examples of each kind, led by a count of the offsets
// missing and duplicated when there are any. The error is for a lake it
// could not read.
func Check(ctx context.Context, lake sink.ReadFS, w Want) (Summary, []string, error) {
	c := &checker{
		lake:   lake,
		want:   w,
		parts:  slices.Sorted(maps.Keys(w.Ends)),
		seen:   make(map[int32][]uint8, len(w.Ends)),
		counts: map[string]int{},
		sum:    Summary{ByTenant: map[string]int{}, questions: w.Questions},
	}
	for p, end := range w.Ends {
		c.seen[p] = make([]uint8, max(end, 0))
	}
	if w.Questions {
		c.questionCount = map[Key]int32{}
		c.attemptTenant = map[Key]string{}
	}
	if err := c.check(ctx); err != nil {
		return c.sum, nil, err
	}
	return c.sum, c.problems, nil
}

// checker holds one Check's state.
type checker struct {
	lake  sink.ReadFS
	want  Want
	parts []int32 // the partitions of want.Ends, sorted

	seen          map[int32][]uint8 // times each offset was found
	questionCount map[Key]int32     // of each landed attempt, when want.Questions
	attemptTenant map[Key]string    // the tenant directory of each landed attempt, likewise

	sum      Summary
	problems []string
	counts   map[string]int // problems by kind, to bound the examples
}

// report records a problem of kind, unless MaxReported of that kind are
// already recorded.
func (c *checker) report(kind, format string, args ...any) {
	c.counts[kind]++
	if c.counts[kind] <= MaxReported {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

func (c *checker) check(ctx context.Context) error {
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		if err := c.records(ctx, table); err != nil {
			return err
		}
	}
	lost, err := c.gaps()
	if err != nil {
		return err
	}
	var missing, dup int
	for _, p := range c.parts {
		for off, n := range c.seen[p] {
			if lost[p][int64(off)] {
				if n > 0 {
					c.report("lost", "partition %d offset %d is in the lake %d times, and recorded as lost", p, off, n)
				}
				continue
			}
			switch {
			case n == 0:
				missing++
				c.report("missing", "partition %d offset %d is in neither attempts nor _quarantine", p, off)
			case n > 1:
				dup++
				c.report("duplicate", "partition %d offset %d is in the lake %d times", p, off, n)
			}
		}
	}
	if c.want.Questions {
		if err := c.questions(ctx); err != nil {
			return err
		}
	}
	left, err := Leftovers(c.lake, c.want.Topic, c.parts)
	if err != nil {
		return err
	}
	for _, name := range left {
		c.report("leftover", "temporary file left behind: %s", name)
	}
	if missing > 0 || dup > 0 {
		c.problems = append([]string{fmt.Sprintf("%d offsets missing, %d duplicated", missing, dup)}, c.problems...)
	}
	for _, kind := range slices.Sorted(maps.Keys(c.counts)) {
		if n := c.counts[kind]; n > MaxReported {
			c.problems = append(c.problems, fmt.Sprintf("(%d more problems of kind %s)", n-MaxReported, kind))
		}
	}
	return nil
}

// records reads the rows of table, attempts or _quarantine, and counts
// each record found.
func (c *checker) records(ctx context.Context, table string) error {
	quarantine := table == flatten.TableQuarantine
	return c.eachBatch(ctx, table, func(f sink.DataFile, tenant string, rec arrow.RecordBatch) error {
		cols := columns{rec: rec}
		topics := column[*array.String](&cols, "kafka_topic")
		parts := column[*array.Int32](&cols, "kafka_partition")
		offs := column[*array.Int64](&cols, "kafka_offset")
		var reasons, details *array.String
		var qcs *array.Int32
		switch {
		case quarantine:
			reasons = column[*array.String](&cols, "reason")
			if c.want.Quarantined != nil {
				details = column[*array.String](&cols, "detail")
			}
		case c.want.Questions:
			qcs = column[*array.Int32](&cols, "question_count")
		}
		if cols.err != nil {
			return fmt.Errorf("%s: %w", f.Path, cols.err)
		}
		for i := range int(rec.NumRows()) {
			k := Key{parts.Value(i), offs.Value(i)}
			if topic := topics.Value(i); topic != c.want.Topic {
				c.report("topic", "%s: a row of topic %q", f.Path, topic)
				continue
			}
			if !Compacted(f) && (k.Partition != f.Partition || k.Offset < f.First || k.Offset > f.Last) {
				c.report("misfiled", "%s: partition %d offset %d in a file named for partition %d offsets %d..%d",
					f.Path, k.Partition, k.Offset, f.Partition, f.First, f.Last)
			}
			reason := ""
			if quarantine {
				reason = reasons.Value(i)
				if details != nil {
					if msg := c.want.Quarantined(reason, details.Value(i)); msg != "" {
						c.report("detail", "_quarantine: partition %d offset %d: %s", k.Partition, k.Offset, msg)
					}
				}
			}
			s := c.seen[k.Partition]
			if k.Offset < 0 || k.Offset >= int64(len(s)) {
				c.report("unproduced", "%s: partition %d offset %d, which was never produced (beyond the topic's end offsets)",
					f.Path, k.Partition, k.Offset)
				continue
			}
			if s[k.Offset] < 255 {
				s[k.Offset]++
			}
			c.sum.ByTenant[tenant]++
			if quarantine {
				c.sum.Quarantined++
			} else {
				c.sum.Attempts++
				if qcs != nil {
					n := int32(0)
					if qcs.IsValid(i) {
						n = qcs.Value(i)
					}
					c.questionCount[k] = n
					c.attemptTenant[k] = tenant
				}
			}
			if want, ok := c.want.Tenants[k]; ok && tenant != want {
				c.report("tenant", "%s: partition %d offset %d is under tenant %q (%s), want tenant %q",
					table, k.Partition, k.Offset, tenant, f.Path, want)
			}
			want, known := c.want.Reasons[k]
			switch {
			case !known:
			case !quarantine && want != "":
				c.report("table", "attempts: partition %d offset %d landed as an attempt, want quarantined as %s", k.Partition, k.Offset, want)
			case quarantine && string(want) != reason:
				c.report("table", "_quarantine: partition %d offset %d quarantined as %q, want %q", k.Partition, k.Offset, reason, want)
			}
		}
		return nil
	})
}

// gaps returns the offsets the lake records as lost, by partition, and
// reports the gaps when none is allowed.
func (c *checker) gaps() (map[int32]map[int64]bool, error) {
	lost := map[int32]map[int64]bool{}
	for _, p := range c.parts {
		st, err := sink.ReadState(c.lake, c.want.Topic, p)
		if err != nil {
			return nil, err
		}
		if st == nil || len(st.Gaps) == 0 {
			continue
		}
		if !c.want.AllowGaps {
			c.report("gap", "partition %d: the lake records %d gaps of lost offsets (%+v), and none is allowed", p, len(st.Gaps), st.Gaps)
			continue
		}
		lost[p] = map[int64]bool{}
		if c.sum.GapsOf == nil {
			c.sum.GapsOf = map[int32][]sink.Gap{}
		}
		c.sum.GapsOf[p] = st.Gaps
		for _, g := range st.Gaps {
			c.sum.Gaps++
			for off := g.First; off <= g.Last; off++ {
				lost[p][off] = true
				c.sum.Lost++
			}
		}
	}
	return lost, nil
}

// questions checks the questions table against the landed attempts.
func (c *checker) questions(ctx context.Context) error {
	type qKey struct {
		Key
		index int32
	}
	got := map[Key]int32{}
	qSeen := map[qKey]bool{}
	err := c.eachBatch(ctx, flatten.TableQuestions, func(f sink.DataFile, tenant string, rec arrow.RecordBatch) error {
		cols := columns{rec: rec}
		parts, offs := column[*array.Int32](&cols, "kafka_partition"), column[*array.Int64](&cols, "kafka_offset")
		idx := column[*array.Int32](&cols, "question_index")
		if cols.err != nil {
			return fmt.Errorf("%s: %w", f.Path, cols.err)
		}
		for i := range int(rec.NumRows()) {
			k := Key{parts.Value(i), offs.Value(i)}
			q := qKey{k, idx.Value(i)}
			if qSeen[q] {
				c.report("question twice", "questions: partition %d offset %d question %d appears twice", k.Partition, k.Offset, q.index)
			}
			qSeen[q] = true
			if at, ok := c.attemptTenant[k]; ok && at != tenant {
				c.report("question tenant", "questions: partition %d offset %d is under tenant %q (%s), its attempt under %q",
					k.Partition, k.Offset, tenant, f.Path, at)
			}
			got[k]++
			c.sum.Questions++
		}
		return nil
	})
	if err != nil {
		return err
	}
	var want int64
	for _, k := range sortedKeys(c.questionCount) {
		n := c.questionCount[k]
		want += int64(n)
		if got[k] != n {
			c.report("question count", "questions: partition %d offset %d has %d rows, its attempt has question_count %d", k.Partition, k.Offset, got[k], n)
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := c.questionCount[k]; !ok {
			c.report("question orphan", "questions: rows for partition %d offset %d, which is not a landed attempt", k.Partition, k.Offset)
		}
	}
	if int64(c.sum.Questions) != want {
		c.report("question total", "questions: %d rows, the attempts' question_count sums to %d", c.sum.Questions, want)
	}
	return nil
}

// sortedKeys returns the keys of m by partition and offset.
func sortedKeys[V any](m map[Key]V) []Key {
	return slices.SortedFunc(maps.Keys(m), func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
}

// eachBatch calls batch for every record batch of every data file of
// table, with the file and the tenant directory it is under; it counts
// the files and reports what want.File finds wrong with them, and the
// rows of a compacted file outside its partition (checkPartition).
func (c *checker) eachBatch(ctx context.Context, table string, batch func(f sink.DataFile, tenant string, rec arrow.RecordBatch) error) error {
	list := c.want.Listed
	if list == nil {
		list = func(_ context.Context, table string) ([]sink.DataFile, error) {
			return sink.ListDataFiles(c.lake, table)
		}
	}
	files, err := list(ctx, table)
	if err != nil {
		return err
	}
	for _, f := range files {
		c.sum.Files++
		if c.want.File != nil {
			if msg := c.want.File(f); msg != "" {
				c.report("file", "%s", msg)
			}
		}
		tenant, _ := sink.TenantOf(f.Hive)
		err := c.read(ctx, f, func(rec arrow.RecordBatch) error {
			if Compacted(f) {
				if err := c.checkPartition(f, rec); err != nil {
					return err
				}
			}
			return batch(f, tenant, rec)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// read calls batch for every record batch of a data file, reading it up
// to want.ReadTries times while the read fails.
func (c *checker) read(ctx context.Context, f sink.DataFile, batch func(rec arrow.RecordBatch) error) error {
	var tbl arrow.Table
	var err error
	for try := 1; ; try++ {
		tbl, err = sink.ReadTable(ctx, c.lake, f.Path, memory.DefaultAllocator)
		if err == nil || try >= c.want.ReadTries || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	if err != nil {
		return err
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		if err := batch(tr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := tr.Err(); err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	return nil
}

// Leftovers lists what is left of unpublished flushes of topic's
// partitions in lake: files in the tables that are not published data
// files, and anything in the partitions' control tmp/ directories.
func Leftovers(lake sink.ReadFS, topic string, partitions []int32) ([]string, error) {
	var out []string
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuestions, flatten.TableQuarantine} {
		err := WalkFiles(lake, table, func(name string) {
			base := path.Base(name)
			if _, _, _, _, err := sink.ParseFileName(base); err != nil || strings.HasSuffix(base, ".tmp") {
				out = append(out, name)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, p := range partitions {
		tmp := path.Join(sink.PartitionDir(topic, p), "tmp")
		entries, err := readDir(lake, tmp)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			out = append(out, path.Join(tmp, e.Name()))
		}
	}
	return out, nil
}

// WalkFiles calls file with the path of every file under dir in lake; a
// missing dir holds nothing.
func WalkFiles(lake sink.ReadFS, dir string, file func(name string)) error {
	entries, err := readDir(lake, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		if !e.IsDir() {
			file(name)
			continue
		}
		if err := WalkFiles(lake, name, file); err != nil {
			return err
		}
	}
	return nil
}

// readDir lists dir in lake; a missing dir lists nothing.
func readDir(lake sink.ReadFS, dir string) ([]fs.FileInfo, error) {
	entries, err := lake.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	return entries, nil
}

// columns looks up the columns of a record batch by name and type,
// keeping the first problem.
type columns struct {
	rec arrow.RecordBatch
	err error
}

// column returns the named column of c's batch as a T, or the zero T after
// recording why it cannot.
func column[T arrow.Array](c *columns, name string) T {
	var zero T
	idx := c.rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		if c.err == nil {
			c.err = fmt.Errorf("no column %s", name)
		}
		return zero
	}
	a, ok := c.rec.Column(idx[0]).(T)
	if !ok {
		if c.err == nil {
			c.err = fmt.Errorf("column %s has type %s, want %T", name, c.rec.Column(idx[0]).DataType(), zero)
		}
		return zero
	}
	return a
}
