package flatten_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/attemptgen"
	. "github.com/landerd/landerd/pkg/flatten"
)

// randAttempt returns an attempt whose every optional field is null about a
// fifth of the time, with null and empty question and option lists.
func randAttempt(r *rand.Rand) *Attempt {
	str := func(s string) Str {
		if r.IntN(5) == 0 {
			return Str{}
		}
		if r.IntN(10) == 0 {
			return Str{B: []byte{}, Valid: true}
		}
		return Str{B: fmt.Appendf(nil, "%s-%d", s, r.IntN(1000)), Valid: true}
	}
	boolean := func() Bool {
		if r.IntN(5) == 0 {
			return Bool{}
		}
		return Bool{V: r.IntN(2) == 0, Valid: true}
	}
	i32 := func() Int32 {
		if r.IntN(5) == 0 {
			return Int32{}
		}
		return Int32{V: r.Int32N(50) - 5, Valid: true}
	}
	ts := func() Time {
		if r.IntN(5) == 0 {
			return Time{}
		}
		return Time{Micros: 1.5e15 + r.Int64N(1e12), Valid: true}
	}
	unknown := func() []byte {
		if r.IntN(3) == 0 {
			return []byte(`{"extra":1}`)
		}
		return nil
	}
	a := &Attempt{
		KeenID:        Str{B: fmt.Appendf(nil, "keen-%d", r.Int()), Valid: true},
		UserExamID:    str("user"),
		BaseExamID:    str("base"),
		ExamName:      str("exam"),
		KeenTimestamp: ts(), KeenCreatedAt: ts(), StartedAt: ts(),
		Certification: boolean(),
		MaxAttempts:   i32(),
		HasSequences:  true,
		SequenceID:    str("seq"),
		Counts: Counts{Correct: i32(), Incorrect: i32(), Incomplete: i32(), Submitted: i32(),
			Unanswered: i32(), Total: i32(), AllCorrect: boolean()},
		SequenceAttempt: i32(),
		HasCounts:       true,
		HasQuestions:    r.IntN(8) != 0,
		Unknown:         unknown(),
	}
	if a.HasQuestions {
		a.Questions = make([]Question, r.IntN(6))
		for i := range a.Questions {
			q := &a.Questions[i]
			*q = Question{ID: str("q"), UserCorrect: boolean(), UserIncomplete: boolean(),
				UserSubmitted: boolean(), UserResult: str("result"), HasOptions: r.IntN(4) != 0, Unknown: unknown()}
			if q.HasOptions {
				q.Options = make([]Option, r.IntN(5))
				for j := range q.Options {
					q.Options[j] = Option{ID: str("o"), Checked: boolean(), Correct: boolean(), Submitted: i32(), At: ts()}
				}
			}
		}
	}
	return a
}

// rowSource appends one message's rows to a Batch and to the reference.
type rowSource func(i int, b *Batch, ref *RefBatch)

// randRows appends random attempts, one in eleven a quarantined message.
func randRows(seed uint64) rowSource {
	r := rand.New(rand.NewPCG(seed, 1))
	reasons := []Reason{ReasonEmpty, ReasonInvalidJSON, ReasonMissingField}
	return func(i int, b *Batch, ref *RefBatch) {
		m := &Meta{Topic: "attempts", Partition: 3, Offset: int64(i), LandedAt: time.UnixMicro(1.6e15 + int64(i))}
		if r.IntN(4) != 0 {
			m.Timestamp = time.UnixMicro(1.55e15 + int64(i))
		}
		if r.IntN(3) != 0 {
			m.Key = fmt.Appendf(nil, "key-%d", i)
		}
		if i%11 == 5 {
			why := &InvalidError{Reason: reasons[r.IntN(len(reasons))], Offset: r.IntN(100) - 1, Msg: "bad"}
			if r.IntN(2) == 0 {
				why.Field = "sequences.questions[1].id"
			}
			var raw []byte
			switch r.IntN(3) {
			case 0:
				raw = []byte(`{"oops"`)
			case 1:
				raw = []byte{}
			}
			b.AppendQuarantine(m, why, raw)
			ref.AppendQuarantine(m, why, raw)
			return
		}
		a := randAttempt(r)
		b.AppendAttempt(m, a)
		ref.AppendAttempt(m, a)
	}
}

// optionlessRows appends random attempts whose questions have null or
// empty option lists, so that the options' columns stay empty.
func optionlessRows(seed uint64) rowSource {
	r := rand.New(rand.NewPCG(seed, 1))
	return func(i int, b *Batch, ref *RefBatch) {
		m := &Meta{Topic: "attempts", Offset: int64(i), LandedAt: time.UnixMicro(1.6e15)}
		a := randAttempt(r)
		for j := range a.Questions {
			a.Questions[j].Options = a.Questions[j].Options[:0]
		}
		b.AppendAttempt(m, a)
		ref.AppendAttempt(m, a)
	}
}

// generatedRows appends the decoded messages of the attempt generator,
// quarantining the malformed ones.
func generatedRows(t *testing.T) rowSource {
	g := attemptgen.New(attemptgen.Config{Seed: 7, BadRate: 0.05})
	var d Decoder
	return func(i int, b *Batch, ref *RefBatch) {
		rec := g.Next()
		m := &Meta{Topic: "attempts", Offset: int64(i), Key: rec.Key, Timestamp: time.UnixMicro(1.55e15 + int64(i)),
			LandedAt: time.UnixMicro(1.6e15)}
		a, err := d.Decode(rec.Value)
		if err != nil {
			why, ok := err.(*InvalidError)
			if !ok {
				t.Fatalf("offset %d: %v", i, err)
			}
			b.AppendQuarantine(m, why, rec.Value)
			ref.AppendQuarantine(m, why, rec.Value)
			return
		}
		b.AppendAttempt(m, a)
		ref.AppendAttempt(m, a)
	}
}

// TestBatchMatchesBuilders checks that a Batch makes exactly the records
// Arrow's builders make from the same rows, over several takes (one of
// them of a single row), and frees all its memory.
func TestBatchMatchesBuilders(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  func(t *testing.T) rowSource
		rows []int // rows per take
	}{
		{"random", func(*testing.T) rowSource { return randRows(1) }, []int{1, 3000, 700, 5}},
		{"random_large_take", func(*testing.T) rowSource { return randRows(2) }, []int{40, 4000}},
		{"generated", generatedRows, []int{2500, 1, 1200}},
		{"no_options", func(*testing.T) rowSource { return optionlessRows(3) }, []int{1, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			refMem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			b := NewBatch(mem)
			ref := NewRefBatch(refMem)
			src := tc.src(t)
			i := 0
			for take, n := range tc.rows {
				for range n {
					src(i, b, ref)
					i++
				}
				if got, want := fmt.Sprint(b.Len()), fmt.Sprint(ref.Len()); got != want {
					t.Fatalf("take %d: Len() = %s, want %s", take, got, want)
				}
				got, want := b.Take(), ref.Take()
				for _, tab := range []struct {
					name      string
					got, want arrow.RecordBatch
				}{
					{TableAttempts, got.Attempts, want.Attempts},
					{TableQuestions, got.Questions, want.Questions},
					{TableQuarantine, got.Quarantine, want.Quarantine},
				} {
					compareRecords(t, fmt.Sprintf("take %d: %s", take, tab.name), tab.got, tab.want)
				}
				got.Release()
				want.Release()
				if a, q, x := b.Len(); a+q+x != 0 {
					t.Fatalf("take %d: Len() after Take = %d, %d, %d", take, a, q, x)
				}
			}
			src(i, b, ref) // rows left in the Batch when it is released
			b.Release()
			ref.Release()
			mem.AssertSize(t, 0)
		})
	}
}

func compareRecords(t *testing.T, what string, got, want arrow.RecordBatch) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("%s: record %v, want %v", what, got != nil, want != nil)
	}
	if got == nil {
		return
	}
	if !got.Schema().Equal(want.Schema()) {
		t.Fatalf("%s: schema\n%s\nwant\n%s", what, got.Schema(), want.Schema())
	}
	if got.NumRows() != want.NumRows() {
		t.Fatalf("%s: %d rows, want %d", what, got.NumRows(), want.NumRows())
	}
	for c := range int(want.NumCols()) {
		g, w := got.Column(c), want.Column(c)
		name := want.Schema().Field(c).Name
		if v, ok := g.(interface{ ValidateFull() error }); ok {
			if err := v.ValidateFull(); err != nil {
				t.Fatalf("%s.%s: invalid array: %v", what, name, err)
			}
		}
		if g.NullN() != w.NullN() {
			t.Errorf("%s.%s: %d nulls, want %d", what, name, g.NullN(), w.NullN())
		}
		if !array.Equal(g, w) {
			t.Errorf("%s.%s differs:\n got %v\nwant %v", what, name, g, w)
		}
	}
	if !array.RecordEqual(got, want) {
		t.Errorf("%s: records differ", what)
	}
}

// TestBatchGrowsAsBuilders checks that a Batch taken out once allocates,
// for the same rows again, never more than a new Batch does by the time it
// holds half of them, and exactly as much from there on: a bound on the
// allocated bytes cuts its row groups at the same rows.
func TestBatchGrowsAsBuilders(t *testing.T) {
	const n = 3000
	r := rand.New(rand.NewPCG(9, 1))
	atts := make([]*Attempt, n)
	for i := range atts {
		atts[i] = randAttempt(r)
	}
	m := &Meta{Topic: "attempts", LandedAt: time.UnixMicro(1.6e15)}
	fill := func(b *Batch, each func(i int)) {
		for i, a := range atts {
			m.Offset = int64(i)
			b.AppendAttempt(m, a)
			each(i)
		}
	}
	newMem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	fresh := NewBatch(newMem)
	var want [n]int
	fill(fresh, func(i int) { want[i] = newMem.CurrentAlloc() })
	fresh.Take().Release()
	fresh.Release()

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	b := NewBatch(mem)
	fill(b, func(int) {})
	b.Take().Release()
	fill(b, func(i int) {
		got := mem.CurrentAlloc()
		switch {
		case i == 50 && got < want[n/4]: // every column has had a value by row 50
			t.Fatalf("row %d: %d bytes allocated, want the capacity reserved (a new Batch holds %d at row %d)", i, got, want[n/4], n/4)
		case i >= n/2 && got != want[i]:
			t.Fatalf("row %d: %d bytes allocated, want %d as a new Batch", i, got, want[i])
		case i < n/2 && got > want[n/2]:
			t.Fatalf("row %d: %d bytes allocated, more than the %d of a new Batch at row %d", i, got, want[n/2], n/2)
		}
	})
	b.Take().Release()
	b.Release()
	mem.AssertSize(t, 0)
}

// TestAppendAttemptSplit checks that AppendAttemptSplit makes, over its
// two batches, exactly the attempts and questions records AppendAttempt
// makes in one.
func TestAppendAttemptSplit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	one, att, que := NewBatch(mem), NewBatch(mem), NewBatch(mem)
	r := rand.New(rand.NewPCG(4, 1))
	for i := range 500 {
		m := &Meta{Topic: "attempts", Offset: int64(i), LandedAt: time.UnixMicro(1.6e15 + int64(i))}
		a := randAttempt(r)
		one.AppendAttempt(m, a)
		att.AppendAttemptSplit(m, a, que)
	}
	if a, q, _ := att.Len(); a != 500 || q != 0 {
		t.Fatalf("the attempts batch holds %d attempts and %d questions, want 500 and 0", a, q)
	}
	if a, _, _ := que.Len(); a != 0 {
		t.Fatalf("the questions batch holds %d attempts, want 0", a)
	}
	want, gotA, gotQ := one.Take(), att.Take(), que.Take()
	compareRecords(t, TableAttempts, gotA.Attempts, want.Attempts)
	compareRecords(t, TableQuestions, gotQ.Questions, want.Questions)
	for _, r := range []Records{want, gotA, gotQ} {
		r.Release()
	}
	for _, b := range []*Batch{one, att, que} {
		b.Release()
	}
	mem.AssertSize(t, 0)
}
