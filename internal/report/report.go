package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Bases of a figure.
const (
	// BasisRaw counts every row of the attempts table.
	BasisRaw = "raw"
	// BasisDedup counts each keen_id once.
	BasisDedup = "dedup"
)

// Options are the definitions the questions depend on.
type Options struct {
	// PassThreshold: an attempt passes when its score is strictly above it.
	PassThreshold float64
	// Course is the exam_name whose attempts question 3 counts.
	Course string
	// RankingSize is how many places each end of the course ranking shows;
	// courses tied with the last place shown are shown too.
	RankingSize int
	// Tenant, when set, limits the report to that tenant's data in a
	// multi-tenant lake; "" reads the whole lake.
	Tenant string
}

// DefaultOptions returns the definitions of the business questions: a
// pass is a score above 0.70, the course is "Learning Git", and the ranking
// shows the top and bottom 5.
func DefaultOptions() Options {
	return Options{PassThreshold: 0.70, Course: "Learning Git", RankingSize: 5}
}

// Report holds the answers, over raw rows and over deduplicated attempts.
type Report struct {
	// Lake names the lake the report was read from, e.g. "file:///data/lake".
	Lake string `json:"lake"`
	// PassThreshold, Course and RankingSize are the options used.
	PassThreshold float64 `json:"pass_threshold"`
	Course        string  `json:"course"`
	RankingSize   int     `json:"ranking_size"`
	// Tenant is the tenant the report is limited to, "" for the whole lake.
	Tenant string `json:"tenant"`
	// MultiTenant reports that the lake has tenant directories.
	MultiTenant bool `json:"multi_tenant"`
	// Tenants are the tenants whose data was read, sorted: the one asked
	// for, or every tenant of a multi-tenant lake; none on a single-tenant
	// lake.
	Tenants []string `json:"tenants"`
	// Files is the number of data files of the attempts table read.
	Files int `json:"attempts_files"`
	// QuarantinedRows is the number of rows of the _quarantine table:
	// messages that are not attempts and so count in no figure.
	QuarantinedRows int64 `json:"quarantined_rows"`
	// UnassignedRows is the part of QuarantinedRows whose tenant is missing
	// or unknown (_quarantine/tenant=_unassigned), read only for the whole
	// lake.
	UnassignedRows int64 `json:"unassigned_quarantined_rows"`
	// Raw counts every row; Dedup counts each keen_id once.
	Raw   Figures `json:"raw"`
	Dedup Figures `json:"dedup"`
	// Gaps are the ranges of offsets Kafka deleted before they were
	// landed, as the lake's bookkeeping records them, by topic and
	// partition; read only for the whole lake.
	Gaps []Gap `json:"gaps"`
	// GapsUnreadable reports that the lake's bookkeeping (_landerd) could
	// not be read with this reader's permissions, so Gaps is unknown.
	GapsUnreadable bool `json:"gaps_unreadable"`
}

// Gap is a range of a Kafka partition's offsets that the lake will never
// hold: retention deleted them before they were landed.
type Gap struct {
	Topic      string    `json:"topic"`
	Partition  int32     `json:"partition"`
	First      int64     `json:"first_offset"`
	Last       int64     `json:"last_offset"`
	Offsets    int64     `json:"offsets"`
	DetectedAt time.Time `json:"detected_at"`
	// Skipped is true once landing resumed after it; false while the
	// partition is refused on it.
	Skipped bool `json:"skipped"`
}

// Figures are the answers to the business questions over one basis.
type Figures struct {
	// Basis is BasisRaw or BasisDedup.
	Basis string `json:"basis"`
	// Attempts is the number of rows (raw) or of distinct keen_id (dedup).
	Attempts int64 `json:"attempts"`
	// Assessments is the number of distinct non-null base_exam_id (question 1).
	Assessments int64 `json:"assessments"`
	// Topics are the distinct kafka_topic values with their attempts (question 2).
	Topics []TopicCount `json:"topics"`
	// CourseAttempts is the number of attempts whose exam_name is the
	// report's course (question 3). The data holds no learner id, so
	// attempts are the closest measure of people.
	CourseAttempts int64 `json:"course_attempts"`
	// Courses is the number of distinct non-null exam_name.
	Courses int `json:"courses"`
	// MostTaken and LeastTaken are both ends of the ranking of courses by
	// attempts (question 4), ties sharing a rank.
	MostTaken  []CourseRank `json:"most_taken"`
	LeastTaken []CourseRank `json:"least_taken"`
	// Scored is the number of attempts with a known score; AvgScore their
	// mean score (question 5), nil when there is none.
	Scored   int64    `json:"scored_attempts"`
	AvgScore *float64 `json:"avg_score"`
	// Passed is the number of attempts scoring above the threshold;
	// PassShare is Passed / Scored (question 6), nil when Scored is 0.
	Passed    int64    `json:"passed_attempts"`
	PassShare *float64 `json:"pass_share"`
	// Timed is the number of attempts with a known duration_seconds;
	// AvgDurationSeconds their mean (question 7), nil when there is none.
	Timed              int64    `json:"timed_attempts"`
	AvgDurationSeconds *float64 `json:"avg_duration_seconds"`
}

// TopicCount is a Kafka topic and the attempts read from it.
type TopicCount struct {
	Topic    string `json:"topic"`
	Attempts int64  `json:"attempts"`
}

// CourseRank is a course's place in the ranking: Rank is 1 for the most
// (or least) taken, and courses with equal attempts share a rank, the next
// rank skipping as many places (1, 2, 2, 4).
type CourseRank struct {
	Rank     int    `json:"rank"`
	ExamName string `json:"exam_name"`
	Attempts int64  `json:"attempts"`
}

// attempt is what the report keeps of one row.
type attempt struct {
	topic       string
	partition   int32
	offset      int64
	examName    string
	baseExamID  string
	score       float64
	duration    float64
	hasExam     bool
	hasBase     bool
	hasScore    bool
	hasDuration bool
}

// before reports whether a comes before b in the lake's order: by
// (kafka_partition, kafka_offset, kafka_topic).
func (a *attempt) before(b *attempt) bool {
	if a.partition != b.partition {
		return a.partition < b.partition
	}
	if a.offset != b.offset {
		return a.offset < b.offset
	}
	return a.topic < b.topic
}

// tally sums the figures of one basis.
type tally struct {
	rows     int64
	bases    map[string]struct{}
	topics   map[string]int64
	courses  map[string]int64
	course   int64
	scored   int64
	scoreSum float64
	passed   int64
	timed    int64
	durSum   float64
}

func newTally() tally {
	return tally{bases: map[string]struct{}{}, topics: map[string]int64{}, courses: map[string]int64{}}
}

func (t *tally) add(a *attempt, opts *Options) {
	t.rows++
	t.topics[a.topic]++
	if a.hasBase {
		t.bases[a.baseExamID] = struct{}{}
	}
	if a.hasExam {
		t.courses[a.examName]++
		if a.examName == opts.Course {
			t.course++
		}
	}
	if a.hasScore {
		t.scored++
		t.scoreSum += a.score
		if a.score > opts.PassThreshold {
			t.passed++
		}
	}
	if a.hasDuration {
		t.timed++
		t.durSum += a.duration
	}
}

func (t *tally) figures(basis string, opts *Options) Figures {
	f := Figures{
		Basis:          basis,
		Attempts:       t.rows,
		Assessments:    int64(len(t.bases)),
		Topics:         []TopicCount{},
		CourseAttempts: t.course,
		Courses:        len(t.courses),
		Scored:         t.scored,
		Passed:         t.passed,
		Timed:          t.timed,
	}
	for _, name := range slices.Sorted(maps.Keys(t.topics)) {
		f.Topics = append(f.Topics, TopicCount{Topic: name, Attempts: t.topics[name]})
	}
	f.MostTaken, f.LeastTaken = rank(t.courses, opts.RankingSize)
	if t.scored > 0 {
		f.AvgScore = ptr(t.scoreSum / float64(t.scored))
		f.PassShare = ptr(float64(t.passed) / float64(t.scored))
	}
	if t.timed > 0 {
		f.AvgDurationSeconds = ptr(t.durSum / float64(t.timed))
	}
	return f
}

func ptr(v float64) *float64 { return &v }

// rank returns the courses ranked at most n by attempts, most taken first
// and least taken first; ties share a rank and all of them are kept.
func rank(courses map[string]int64, n int) (most, least []CourseRank) {
	all := make([]CourseRank, 0, len(courses))
	for name, c := range courses {
		all = append(all, CourseRank{ExamName: name, Attempts: c})
	}
	ends := func(desc bool) []CourseRank {
		slices.SortFunc(all, func(a, b CourseRank) int {
			c := cmp.Compare(a.Attempts, b.Attempts)
			if desc {
				c = -c
			}
			return cmp.Or(c, strings.Compare(a.ExamName, b.ExamName))
		})
		out := []CourseRank{}
		for i, c := range all {
			r := i + 1
			if i > 0 && c.Attempts == all[i-1].Attempts {
				r = out[i-1].Rank
			}
			if r > n {
				break
			}
			c.Rank = r
			out = append(out, c)
		}
		return out
	}
	return ends(true), ends(false)
}

// Accumulator computes a Report from the record batches of the attempts
// table, fed in any order. It keeps, per keen_id, only what the figures
// need. It is not safe for concurrent use.
type Accumulator struct {
	opts    Options
	raw     tally
	kept    map[string]*attempt
	strs    map[string]string // interned low-cardinality strings
	files   int
	quarant int64
}

// NewAccumulator returns an empty Accumulator.
func NewAccumulator(opts Options) *Accumulator {
	return &Accumulator{opts: opts, raw: newTally(), kept: map[string]*attempt{}, strs: map[string]string{}}
}

// intern returns a copy of s that outlives the Arrow buffer s points into,
// shared by every equal string.
func (acc *Accumulator) intern(s string) string {
	if v, ok := acc.strs[s]; ok {
		return v
	}
	v := strings.Clone(s)
	acc.strs[v] = v
	return v
}

// columns collects the first problem met while looking columns up.
type columns struct{ err error }

// lookup returns rec's column name as a T, or records why it cannot.
func lookup[T arrow.Array](cols *columns, rec arrow.RecordBatch, name string) T {
	var zero T
	if cols.err != nil {
		return zero
	}
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		cols.err = fmt.Errorf("column %s missing", name)
		return zero
	}
	c, ok := rec.Column(idx[0]).(T)
	if !ok {
		cols.err = fmt.Errorf("column %s has type %s", name, rec.Column(idx[0]).DataType())
		return zero
	}
	return c
}

// Add adds the rows of a record batch of the attempts table. It reads the
// columns keen_id, base_exam_id, exam_name, score, duration_seconds,
// kafka_topic, kafka_partition and kafka_offset, and fails when one is
// missing or has another type than the lake's schema gives it.
func (acc *Accumulator) Add(rec arrow.RecordBatch) error {
	var cols columns
	keen := lookup[*array.String](&cols, rec, "keen_id")
	base := lookup[*array.String](&cols, rec, "base_exam_id")
	exam := lookup[*array.String](&cols, rec, "exam_name")
	score := lookup[*array.Float64](&cols, rec, "score")
	dur := lookup[*array.Float64](&cols, rec, "duration_seconds")
	topic := lookup[*array.String](&cols, rec, "kafka_topic")
	part := lookup[*array.Int32](&cols, rec, "kafka_partition")
	off := lookup[*array.Int64](&cols, rec, "kafka_offset")
	if cols.err != nil {
		return fmt.Errorf("add attempts: %w", cols.err)
	}
	for i := range int(rec.NumRows()) {
		if keen.IsNull(i) || topic.IsNull(i) || part.IsNull(i) || off.IsNull(i) {
			return fmt.Errorf("add attempts: row %d: null keen_id or lineage", i)
		}
		a := attempt{
			topic:       acc.intern(topic.Value(i)),
			partition:   part.Value(i),
			offset:      off.Value(i),
			hasExam:     exam.IsValid(i),
			hasBase:     base.IsValid(i),
			hasScore:    score.IsValid(i),
			hasDuration: dur.IsValid(i),
		}
		if a.hasExam {
			a.examName = acc.intern(exam.Value(i))
		}
		if a.hasBase {
			a.baseExamID = acc.intern(base.Value(i))
		}
		if a.hasScore {
			a.score = score.Value(i)
		}
		if a.hasDuration {
			a.duration = dur.Value(i)
		}
		acc.raw.add(&a, &acc.opts)
		id := keen.Value(i)
		if prev, ok := acc.kept[id]; !ok {
			acc.kept[strings.Clone(id)] = &a
		} else if a.before(prev) {
			*prev = a
		}
	}
	return nil
}

// AddFile counts one data file of the attempts table.
func (acc *Accumulator) AddFile() { acc.files++ }

// AddQuarantined counts rows of the _quarantine table.
func (acc *Accumulator) AddQuarantined(rows int64) { acc.quarant += rows }

// Report returns the figures of everything added so far. lake names the
// lake for people.
func (acc *Accumulator) Report(lake string) *Report {
	kept := slices.Collect(maps.Values(acc.kept))
	// Sum in lake order, so that the report does not depend on map order.
	slices.SortFunc(kept, func(a, b *attempt) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return 0
	})
	dedup := newTally()
	for _, a := range kept {
		dedup.add(a, &acc.opts)
	}
	return &Report{
		Lake:            lake,
		PassThreshold:   acc.opts.PassThreshold,
		Course:          acc.opts.Course,
		RankingSize:     acc.opts.RankingSize,
		Tenant:          acc.opts.Tenant,
		Tenants:         []string{},
		Files:           acc.files,
		QuarantinedRows: acc.quarant,
		Raw:             acc.raw.figures(BasisRaw, &acc.opts),
		Dedup:           dedup.figures(BasisDedup, &acc.opts),
	}
}
