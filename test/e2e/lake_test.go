package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// lakeSummary is what checkExactlyOnce found.
type lakeSummary struct {
	attempts, quarantined, questions int
	files                            int
	gaps, lost                       int // gaps recorded in the lake, and the offsets they cover
	gapsOf                           map[int32][]sink.Gap
	byTenant                         map[string]int // records in attempts and _quarantine, by tenant directory
}

func (s lakeSummary) String() string {
	out := fmt.Sprintf("%d attempts, %d quarantined, %d questions in %d files",
		s.attempts, s.quarantined, s.questions, s.files)
	if s.gaps > 0 {
		out += fmt.Sprintf("; %d offsets recorded as lost in %d gaps", s.lost, s.gaps)
	}
	if _, single := s.byTenant[""]; !single && len(s.byTenant) > 0 {
		out += fmt.Sprintf("; records by tenant %v", s.byTenant)
	}
	return out
}

// offsetKey identifies a Kafka record.
type offsetKey struct {
	partition int32
	offset    int64
}

// maxReported bounds the examples each check reports.
const maxReported = 10

// checkExactlyOnce reads the whole lake back and fails the test unless it
// holds every produced record exactly once (see verifyLake).
func (h *harness) checkExactlyOnce(ctx context.Context) lakeSummary {
	h.t.Helper()
	sum, problems, err := h.verifyLake(ctx, h.lake())
	if err != nil {
		h.t.Fatal(err)
	}
	if len(problems) > 0 {
		shown := problems
		if len(shown) > 3*maxReported {
			shown = shown[:3*maxReported]
		}
		h.t.Errorf("the lake is not exactly once (%d problems; %s):\n  %s", len(problems), sum, strings.Join(shown, "\n  "))
	}
	if h.setup.backend == lakeRealHDFS && h.mix != nil {
		h.checkTenantAccess()
	}
	if h.realSystems() {
		h.checkWithReaders(ctx, sum)
	}
	return sum
}

// verifyLake reads lake back and checks the delivery contract
// against what was produced: every offset of every partition is in
// attempts or _quarantine exactly once, in the table its record belongs to
// (quarantined with the expected reason); questions rows belong to landed
// attempts only, one per question of the attempt; and no temporary file is
// left in the tables or the control directory. It returns what it found
// and every violation; the error is for a lake it could not read.
func (h *harness) verifyLake(ctx context.Context, lake sink.FS) (sum lakeSummary, problems []string, err error) {
	h.mu.Lock()
	wants := make([][]flatten.Reason, len(h.wants))
	tenants := make([][]string, len(h.tenants))
	for p := range h.wants {
		wants[p] = append([]flatten.Reason(nil), h.wants[p]...)
		tenants[p] = append([]string(nil), h.tenants[p]...)
	}
	h.mu.Unlock()

	seen := make([][]uint8, len(wants)) // times each offset was found
	for p := range wants {
		seen[p] = make([]uint8, len(wants[p]))
	}
	sum.byTenant = map[string]int{}
	questionCount := map[offsetKey]int32{}  // of each landed attempt
	attemptTenant := map[offsetKey]string{} // the tenant directory of each landed attempt
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	addRow := func(f sink.DataFile, table string, p int32, off int64, reason string) {
		if p < 0 || int(p) >= len(wants) || off < 0 || off >= int64(len(wants[p])) {
			report("%s: row for partition %d offset %d, which was never produced", table, p, off)
			return
		}
		if seen[p][off] < 255 {
			seen[p][off]++
		}
		sum.byTenant[tenantOfHive(f.Hive)]++
		if got, want := tenantOfHive(f.Hive), tenants[p][off]; got != want {
			report("%s: partition %d offset %d is under tenant %q (%s), want tenant %q", table, p, off, got, f.Path, want)
		}
		want := wants[p][off]
		switch {
		case table == flatten.TableAttempts && want != "":
			report("attempts: partition %d offset %d landed as an attempt, want quarantined as %s", p, off, want)
		case table == flatten.TableQuarantine && string(want) != reason:
			report("_quarantine: partition %d offset %d quarantined as %q, want %q", p, off, reason, want)
		}
	}

	// attempts and _quarantine: the offsets.
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		files, err := sink.ListDataFiles(lake, table)
		if err != nil {
			return sum, nil, err
		}
		for _, f := range files {
			sum.files++
			if p := h.checkHive(f); p != "" {
				report("%s", p)
			}
			err := readFile(ctx, lake, f, func(rec arrow.RecordBatch) error {
				c := columns{rec: rec}
				parts, offs := column[*array.Int32](&c, "kafka_partition"), column[*array.Int64](&c, "kafka_offset")
				topics := column[*array.String](&c, "kafka_topic")
				var reasons, details *array.String
				var qcs *array.Int32
				if table == flatten.TableQuarantine {
					reasons = column[*array.String](&c, "reason")
					details = column[*array.String](&c, "detail")
				} else {
					qcs = column[*array.Int32](&c, "question_count")
				}
				if c.err != nil {
					return fmt.Errorf("%s: %w", f.Path, c.err)
				}
				for row := range int(rec.NumRows()) {
					p, off := parts.Value(row), offs.Value(row)
					if topic := topics.Value(row); topic != h.topic {
						report("%s: row of topic %q in %s", table, topic, f.Path)
					}
					if p != f.Partition || off < f.First || off > f.Last {
						report("%s: partition %d offset %d in file %s, named for partition %d offsets %d..%d",
							table, p, off, f.Path, f.Partition, f.First, f.Last)
					}
					reason := ""
					if reasons != nil {
						reason = reasons.Value(row)
						if msg := tenantDetail(reason, details.Value(row)); msg != "" {
							report("_quarantine: partition %d offset %d: %s", p, off, msg)
						}
						sum.quarantined++
					} else {
						n := int32(0)
						if qcs.IsValid(row) {
							n = qcs.Value(row)
						}
						questionCount[offsetKey{p, off}] = n
						attemptTenant[offsetKey{p, off}] = tenantOfHive(f.Hive)
						sum.attempts++
					}
					addRow(f, table, p, off, reason)
				}
				return nil
			})
			if err != nil {
				return sum, nil, err
			}
		}
	}
	// Offsets the lake records as lost to retention (tests that delete
	// records before they land allow them): each must be absent, and
	// only they may be.
	lost := make([]map[int64]bool, len(seen))
	for p := range seen {
		st, err := sink.ReadState(lake, h.topic, int32(p))
		if err != nil {
			return sum, nil, err
		}
		if st == nil || len(st.Gaps) == 0 {
			continue
		}
		if !h.allowGaps {
			report("partition %d: the lake records %d gaps of lost offsets (%+v), and this test deletes no records", p, len(st.Gaps), st.Gaps)
			continue
		}
		lost[p] = map[int64]bool{}
		if sum.gapsOf == nil {
			sum.gapsOf = map[int32][]sink.Gap{}
		}
		sum.gapsOf[int32(p)] = st.Gaps
		for _, g := range st.Gaps {
			sum.gaps++
			for off := g.First; off <= g.Last; off++ {
				lost[p][off] = true
				sum.lost++
			}
		}
	}
	var missing, dup int
	for p := range seen {
		for off, n := range seen[p] {
			if lost[p][int64(off)] {
				if n > 0 {
					report("partition %d offset %d is in the lake %d times, and recorded as lost", p, off, n)
				}
				continue
			}
			switch {
			case n == 0:
				if missing < maxReported {
					report("partition %d offset %d is in neither attempts nor _quarantine", p, off)
				}
				missing++
			case n > 1:
				if dup < maxReported {
					report("partition %d offset %d is in the lake %d times", p, off, n)
				}
				dup++
			}
		}
	}

	// questions: one row per question of a landed attempt.
	got := map[offsetKey]int32{}
	type qKey struct {
		offsetKey
		index int32
	}
	qSeen := map[qKey]bool{}
	files, err := sink.ListDataFiles(lake, flatten.TableQuestions)
	if err != nil {
		return sum, nil, err
	}
	for _, f := range files {
		sum.files++
		if p := h.checkHive(f); p != "" {
			report("%s", p)
		}
		err := readFile(ctx, lake, f, func(rec arrow.RecordBatch) error {
			c := columns{rec: rec}
			parts, offs := column[*array.Int32](&c, "kafka_partition"), column[*array.Int64](&c, "kafka_offset")
			idx := column[*array.Int32](&c, "question_index")
			if c.err != nil {
				return fmt.Errorf("%s: %w", f.Path, c.err)
			}
			for row := range int(rec.NumRows()) {
				k := offsetKey{parts.Value(row), offs.Value(row)}
				q := qKey{k, idx.Value(row)}
				if qSeen[q] {
					report("questions: partition %d offset %d question %d appears twice", k.partition, k.offset, q.index)
				}
				qSeen[q] = true
				if tenant, ok := attemptTenant[k]; ok && tenant != tenantOfHive(f.Hive) {
					report("questions: partition %d offset %d is under tenant %q (%s), its attempt under %q",
						k.partition, k.offset, tenantOfHive(f.Hive), f.Path, tenant)
				}
				got[k]++
				sum.questions++
			}
			return nil
		})
		if err != nil {
			return sum, nil, err
		}
	}
	var wantQuestions int64
	for k, n := range questionCount {
		wantQuestions += int64(n)
		if got[k] != n {
			report("questions: partition %d offset %d has %d rows, its attempt has question_count %d", k.partition, k.offset, got[k], n)
		}
	}
	for k := range got {
		if _, ok := questionCount[k]; !ok {
			report("questions: rows for partition %d offset %d, which is not a landed attempt", k.partition, k.offset)
		}
	}
	if int64(sum.questions) != wantQuestions {
		report("questions: %d rows, the attempts' question_count sums to %d", sum.questions, wantQuestions)
	}

	left, err := h.leftovers(lake)
	if err != nil {
		return sum, nil, err
	}
	for _, p := range left {
		report("temporary file left behind: %s", p)
	}
	if missing > 0 || dup > 0 {
		problems = append([]string{fmt.Sprintf("%d offsets missing, %d duplicated", missing, dup)}, problems...)
	}
	var total int
	for p := range wants {
		total += len(wants[p])
	}
	if sum.attempts+sum.quarantined+sum.lost != total || sum.quarantined == 0 || sum.questions == 0 {
		report("lake holds %s; want %d records in attempts and _quarantine, some of them quarantined", sum, total)
	}
	if h.mix != nil && total >= 1000 {
		// Every tenant, and records of none, must have been exercised.
		for _, t := range append([]string{unassigned}, e2eTenants...) {
			if sum.byTenant[t] == 0 {
				report("no records under tenant=%s of %d: the tenancy was not exercised", t, total)
			}
		}
	}
	return sum, problems, nil
}

// tenantDetail returns what is wrong with the detail of a record
// quarantined for its tenant, or "": it must name the header, and for an
// unknown tenant the value the header held.
func tenantDetail(reason, detail string) string {
	var want string
	switch flatten.Reason(reason) {
	case flatten.ReasonTenantMissing:
		want = fmt.Sprintf("%q", tenantHeader)
	case flatten.ReasonTenantUnknown:
		want = fmt.Sprintf(`header %q holds "initech"`, tenantHeader)
	default:
		return ""
	}
	if !strings.Contains(detail, want) {
		return fmt.Sprintf("%s detail %q does not name %s", reason, detail, want)
	}
	return ""
}

// checkHive returns what is wrong with a data file's Hive partition, or
// "": with tenancy it is tenant=T/ingest_date=D, T a configured tenant or
// _unassigned (in _quarantine only); without, ingest_date=D alone.
func (h *harness) checkHive(f sink.DataFile) string {
	elems := strings.Split(f.Hive, "/")
	last := elems[len(elems)-1]
	if !strings.HasPrefix(last, "ingest_date=") {
		return fmt.Sprintf("%s: Hive partition %q does not end in ingest_date=", f.Path, f.Hive)
	}
	if h.mix == nil {
		if len(elems) != 1 {
			return fmt.Sprintf("%s: Hive partition %q, want ingest_date=D alone without tenancy", f.Path, f.Hive)
		}
		return ""
	}
	tenant := tenantOfHive(f.Hive)
	known := tenant == unassigned && strings.HasPrefix(f.Path, flatten.TableQuarantine+"/")
	for _, t := range e2eTenants {
		known = known || tenant == t
	}
	if len(elems) != 2 || !known {
		return fmt.Sprintf("%s: Hive partition %q, want tenant=T/ingest_date=D with T one of %v (or %s in %s)",
			f.Path, f.Hive, e2eTenants, unassigned, flatten.TableQuarantine)
	}
	return ""
}

// readFile calls batch for every record batch of a data file.
func readFile(ctx context.Context, lake sink.FS, f sink.DataFile, batch func(rec arrow.RecordBatch) error) error {
	tbl, err := sink.ReadTable(ctx, lake, f.Path, memory.DefaultAllocator)
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

// leftovers lists temporary files in the tables' directories of lake and
// in its control directory's tmp/ dirs, and anything in the tables that is
// not a published data file.
func (h *harness) leftovers(lake sink.FS) ([]string, error) {
	var out []string
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuestions, flatten.TableQuarantine} {
		err := walkFiles(lake, table, func(name string) {
			base := path.Base(name)
			if _, _, _, _, perr := sink.ParseFileName(base); perr != nil || strings.HasSuffix(base, ".tmp") {
				out = append(out, name)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for p := range h.setup.partitions {
		tmp := path.Join(sink.PartitionDir(h.topic, p), "tmp")
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
func walkFiles(lake sink.FS, dir string, file func(name string)) error {
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
func readDir(lake sink.FS, dir string) ([]fs.FileInfo, error) {
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
