package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// maxReported bounds the examples each kind of problem reports.
const maxReported = 10

// lakeSummary is what checkLake found.
type lakeSummary struct {
	attempts, quarantined int
	files                 int
}

func (s lakeSummary) String() string {
	return fmt.Sprintf("%d attempts and %d quarantined in %d files", s.attempts, s.quarantined, s.files)
}

// checkLake reads the attempts and _quarantine tables of lake back and
// returns every way they break the delivery contract for topic: each
// offset below ends[p] of each partition p is in one of them exactly once,
// in the file named for it, and in the table wants says (for the offsets
// whose produce was acknowledged; others may be in either); no row is of
// another topic or offset; and no temporary file is left in the tables or
// in the partitions' control directories. The error is for a lake it could
// not read.
func checkLake(ctx context.Context, lake sink.ReadFS, topic string, ends map[int32]int64, wants map[offsetKey]flatten.Reason) (sum lakeSummary, problems []string, err error) {
	seen := make(map[int32][]uint8, len(ends)) // times each offset was found
	for p, end := range ends {
		seen[p] = make([]uint8, end)
	}
	counts := map[string]int{} // problems by kind, to bound the examples
	report := func(kind, format string, args ...any) {
		counts[kind]++
		if counts[kind] <= maxReported {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		files, err := sink.ListDataFiles(lake, table)
		if err != nil {
			return sum, nil, err
		}
		for _, f := range files {
			sum.files++
			err := readRows(ctx, lake, f.Path, table == flatten.TableQuarantine, func(r row) {
				switch {
				case r.topic != topic:
					report("topic", "%s: a row of topic %q", f.Path, r.topic)
					return
				case r.partition != f.Partition || r.offset < f.First || r.offset > f.Last:
					report("misfiled", "%s: partition %d offset %d in a file named for partition %d offsets %d..%d",
						f.Path, r.partition, r.offset, f.Partition, f.First, f.Last)
				}
				s, ok := seen[r.partition]
				if !ok || r.offset < 0 || r.offset >= int64(len(s)) {
					report("unproduced", "%s: partition %d offset %d, beyond the topic's end offsets", f.Path, r.partition, r.offset)
					return
				}
				if s[r.offset] < 255 {
					s[r.offset]++
				}
				if table == flatten.TableQuarantine {
					sum.quarantined++
				} else {
					sum.attempts++
				}
				want, known := wants[offsetKey{r.partition, r.offset}]
				switch {
				case !known:
				case table == flatten.TableAttempts && want != "":
					report("table", "attempts: partition %d offset %d landed as an attempt, want quarantined as %s", r.partition, r.offset, want)
				case table == flatten.TableQuarantine && string(want) != r.reason:
					report("table", "_quarantine: partition %d offset %d quarantined as %q, want %q", r.partition, r.offset, r.reason, want)
				}
			})
			if err != nil {
				return sum, nil, err
			}
		}
	}
	var missing, dup int
	for p, s := range seen {
		for off, n := range s {
			switch {
			case n == 0:
				missing++
				report("missing", "partition %d offset %d is in neither attempts nor _quarantine", p, off)
			case n > 1:
				dup++
				report("duplicate", "partition %d offset %d is in the lake %d times", p, off, n)
			}
		}
	}
	left, err := leftovers(lake, topic, ends)
	if err != nil {
		return sum, nil, err
	}
	for _, name := range left {
		report("leftover", "temporary file left behind: %s", name)
	}
	if missing > 0 || dup > 0 {
		problems = append([]string{fmt.Sprintf("%d offsets missing, %d duplicated", missing, dup)}, problems...)
	}
	for kind, n := range counts {
		if n > maxReported {
			problems = append(problems, fmt.Sprintf("(%d more problems of kind %s)", n-maxReported, kind))
		}
	}
	return sum, problems, nil
}

// row is what the check reads of a lake row.
type row struct {
	topic     string
	partition int32
	offset    int64
	reason    string // _quarantine only
}

// readRows calls fn for every row of a data file. A read that fails is
// tried again for a while: after a DataNode restart the NameNode may still
// send the reader to a replica it has not yet learnt is gone.
func readRows(ctx context.Context, lake sink.ReadFS, name string, quarantine bool, fn func(row)) error {
	var tbl arrow.Table
	var err error
	for try := 0; ; try++ {
		tbl, err = sink.ReadTable(ctx, lake, name, memory.DefaultAllocator)
		if err == nil || try == 5 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		return err
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		c := columns{rec: rec}
		topics := column[*array.String](&c, "kafka_topic")
		parts := column[*array.Int32](&c, "kafka_partition")
		offs := column[*array.Int64](&c, "kafka_offset")
		var reasons *array.String
		if quarantine {
			reasons = column[*array.String](&c, "reason")
		}
		if c.err != nil {
			return fmt.Errorf("%s: %w", name, c.err)
		}
		for i := range int(rec.NumRows()) {
			r := row{topic: topics.Value(i), partition: parts.Value(i), offset: offs.Value(i)}
			if reasons != nil {
				r.reason = reasons.Value(i)
			}
			fn(r)
		}
	}
	if err := tr.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
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
	if !ok && c.err == nil {
		c.err = fmt.Errorf("column %s has type %s, want %T", name, c.rec.Column(idx[0]).DataType(), zero)
	}
	return a
}

// leftovers lists what is left of unpublished flushes: files in the tables
// that are not published data files, and anything in the partitions'
// control tmp/ directories.
func leftovers(lake sink.ReadFS, topic string, ends map[int32]int64) ([]string, error) {
	var out []string
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuestions, flatten.TableQuarantine} {
		err := walkFiles(lake, table, func(name string) {
			base := path.Base(name)
			if _, _, _, _, err := sink.ParseFileName(base); err != nil || strings.HasSuffix(base, ".tmp") {
				out = append(out, name)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for p := range ends {
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

// walkFiles calls file with the path of every file under dir in lake; a
// missing dir holds nothing.
func walkFiles(lake sink.ReadFS, dir string, file func(name string)) error {
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
		if err := walkFiles(lake, name, file); err != nil {
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

// landedTotal returns how many records the lake shows landed over all
// partitions: the sum of each partition's next offset after its last
// published flush.
func landedTotal(lake sink.ReadFS, topic string, partitions int32) (int64, error) {
	var total int64
	for p := range partitions {
		next, err := sink.Landed(lake, topic, p)
		if err != nil {
			return 0, err
		}
		total += next
	}
	return total, nil
}
