package attemptgen

import (
	"time"

	"github.com/landerd/landerd/pkg/flatten"
)

// Config says what to generate. The zero Config yields good attempts only,
// started between 2017-11-21 and 68 days later, from seed 0.
type Config struct {
	// Seed selects the stream: the same Config always yields the same bytes.
	Seed int64
	// BadRate is the share of records, in [0, 1], that are malformed on
	// purpose, spread evenly over the quarantine reasons.
	BadRate float64
	// DuplicateRate is the share of records, in [0, 1], that are exact
	// resends of a recent good attempt.
	DuplicateRate float64
	// Start is the earliest started_at; zero means 2017-11-21T00:00:00Z.
	Start time.Time
	// Span is how far after Start attempts start; zero means 68 days.
	Span time.Duration
	// MaxBytes, when positive, is the largest value the consumer accepts:
	// bad records then include values padded beyond it (too_large), and any
	// record longer than MaxBytes is expected as too_large.
	MaxBytes int
}

// Record is one generated Kafka message.
type Record struct {
	// Key is the user_exam_id of the attempt the value was made from, or nil
	// when there is none (an empty value, a bare number).
	Key []byte
	// Value is the message value: compact, ASCII JSON for a good attempt.
	Value []byte
	// Want is the reason a correct consumer quarantines Value, or "" when
	// Value is a good attempt.
	Want flatten.Reason
	// Duplicate reports that Value is a byte-for-byte resend of an earlier
	// good record of the same stream, with the same Key.
	Duplicate bool
}

// Default time range, the one the real data set covers.
var defaultStart = time.Date(2017, 11, 21, 0, 0, 0, 0, time.UTC)

const defaultSpan = 68 * 24 * time.Hour

// ringSize is how many recent good attempts a duplicate may resend.
const ringSize = 1024

// origin identifies a good attempt so that it can be regenerated exactly.
type origin struct {
	idx    uint64
	course int32
}

// Generator produces an endless, deterministic stream of records. It is not
// safe for concurrent use.
type Generator struct {
	cfg     Config
	seed    uint64
	startMS int64
	spanMS  int64
	courses []course
	weights []int64
	total   int64
	current []int64 // smooth weighted round-robin state
	ctl     rng     // stream-level decisions: duplicate, bad, which kind
	kinds   []flatten.Reason
	n       uint64
	ring    [ringSize]origin
	ringLen int
	ringPos int
	buf     []byte
}

// New returns a Generator for cfg.
func New(cfg Config) *Generator {
	start := cfg.Start
	if start.IsZero() {
		start = defaultStart
	}
	span := cfg.Span
	if span <= 0 {
		span = defaultSpan
	}
	// Distinct salts keep the per-attempt, control and course-bank streams
	// independent of one another.
	seed := uint64(cfg.Seed)
	g := &Generator{
		cfg:     cfg,
		seed:    mix64(seed ^ 0x6c616e6465726421),
		startMS: start.UnixMilli(),
		spanMS:  max(1, span.Milliseconds()),
		ctl:     newRNG(seed ^ 0x636f6e74726f6c00),
		kinds:   badKinds(cfg.MaxBytes > 0),
		buf:     make([]byte, 0, 16<<10),
	}
	bank := newRNG(seed ^ 0x62616e6b00000000)
	g.courses = newCourses(&bank)
	g.weights = make([]int64, len(g.courses))
	g.current = make([]int64, len(g.courses))
	for i := range g.weights {
		w := int64(testExamWeight)
		if i < len(titles) {
			w = weight(i)
		}
		g.weights[i] = w
		g.total += w
	}
	// A random phase, so that different seeds interleave courses differently.
	for i := range g.current {
		g.current[i] = g.ctl.int63n(g.weights[i])
	}
	return g
}

// Next returns the next record. Its slices are fresh and owned by the caller.
func (g *Generator) Next() Record {
	var m meta
	g.buf, m = g.appendNext(g.buf[:0])
	rec := Record{Want: m.want, Duplicate: m.dup}
	if m.hasKey {
		rec.Key = append([]byte(nil), m.key[:]...)
	}
	if !m.nilValue {
		rec.Value = append(make([]byte, 0, len(g.buf)), g.buf...)
	}
	return rec
}

// meta describes the record appended by appendNext.
type meta struct {
	key      [36]byte
	hasKey   bool
	nilValue bool
	want     flatten.Reason
	dup      bool
}

// appendNext appends the next record's value to dst.
func (g *Generator) appendNext(dst []byte) ([]byte, meta) {
	idx := g.n
	g.n++
	var m meta
	if g.ringLen > 0 && g.cfg.DuplicateRate > 0 && g.ctl.chance(g.cfg.DuplicateRate) {
		o := g.ring[g.ctl.intn(g.ringLen)]
		dst, m.key = g.appendAttempt(dst, o.idx, int(o.course), mutation{})
		m.hasKey, m.dup = true, true
		return dst, m
	}
	if g.cfg.BadRate > 0 && g.ctl.chance(g.cfg.BadRate) {
		return g.appendBad(dst, idx)
	}
	c := g.pickCourse()
	dst, m.key = g.appendAttempt(dst, idx, c, mutation{})
	m.hasKey = true
	if g.cfg.MaxBytes > 0 && len(dst) > g.cfg.MaxBytes {
		m.want = flatten.ReasonTooLarge
		return dst, m
	}
	g.ring[g.ringPos] = origin{idx: idx, course: int32(c)}
	g.ringPos = (g.ringPos + 1) % ringSize
	g.ringLen = min(g.ringLen+1, ringSize)
	return dst, m
}

// pickCourse chooses the course of the next good attempt by smooth weighted
// round-robin, so that realised counts track the weights closely and the
// most and least common courses are unambiguous.
func (g *Generator) pickCourse() int {
	best := 0
	for i, w := range g.weights {
		g.current[i] += w
		if g.current[i] > g.current[best] {
			best = i
		}
	}
	g.current[best] -= g.total
	return best
}
