package flatten

import (
	"encoding/json"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/test/kit/realdata"
)

// TestRealDataSet flattens every attempt of the real data set and checks
// the rows column by column against an independent reading of the same
// bytes with encoding/json.
func TestRealDataSet(t *testing.T) {
	raw, err := os.ReadFile(realdata.Path(t, realdata.ArrayFile))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != realdata.Attempts {
		t.Fatalf("%d messages, want %d", len(msgs), realdata.Attempts)
	}

	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	b := NewBatch(mem)
	defer b.Release()
	var d Decoder
	landed := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for i, m := range msgs {
		a, err := d.Decode(m)
		if err != nil {
			t.Fatalf("record %d quarantined: %v", i, err)
		}
		b.AppendAttempt(&Meta{Topic: "attempts", Partition: 0, Offset: int64(i), LandedAt: landed}, a)
	}
	recs := b.Take()
	defer recs.Release()
	if recs.Quarantine != nil {
		t.Fatalf("%d quarantined rows, want 0", recs.Quarantine.NumRows())
	}
	if n := recs.Attempts.NumRows(); n != realdata.Attempts {
		t.Fatalf("attempts rows = %d", n)
	}
	if n := recs.Questions.NumRows(); n != realdata.Questions {
		t.Fatalf("questions rows = %d, want %d", n, realdata.Questions)
	}

	att := columns(recs.Attempts)
	que := columns(recs.Questions)
	var certNull, noScore, qRow, options, withAt, withCorrect, withSubmitted, noUserCorrect int
	for i, m := range msgs {
		var src struct {
			KeenID        string  `json:"keen_id"`
			KeenTimestamp string  `json:"keen_timestamp"`
			KeenCreatedAt string  `json:"keen_created_at"`
			StartedAt     string  `json:"started_at"`
			BaseExamID    string  `json:"base_exam_id"`
			UserExamID    string  `json:"user_exam_id"`
			ExamName      string  `json:"exam_name"`
			Certification *string `json:"certification"`
			MaxAttempts   string  `json:"max_attempts"`
			Sequences     struct {
				ID      string          `json:"id"`
				Attempt int32           `json:"attempt"`
				Counts  *map[string]any `json:"counts"`
				Qs      []struct {
					ID             string `json:"id"`
					UserCorrect    *bool  `json:"user_correct"`
					UserIncomplete *bool  `json:"user_incomplete"`
					UserSubmitted  *bool  `json:"user_submitted"`
					UserResult     *string
					Options        []struct {
						ID        string  `json:"id"`
						Checked   *bool   `json:"checked"`
						Correct   *bool   `json:"correct"`
						Submitted *int32  `json:"submitted"`
						At        *string `json:"at"`
					} `json:"options"`
				} `json:"questions"`
			} `json:"sequences"`
		}
		if err := json.Unmarshal(m, &src); err != nil {
			t.Fatal(err)
		}
		row := func(col string) any { return att.value(t, col, i) }
		expect := func(col string, want any) {
			t.Helper()
			if got := row(col); got != want {
				t.Fatalf("record %d %s = %v, want %v", i, col, got, want)
			}
		}
		expect("keen_id", src.KeenID)
		expect("keen_timestamp", epochMicros(t, src.KeenTimestamp))
		expect("keen_created_at", epochMicros(t, src.KeenCreatedAt))
		started := isoMicros(t, src.StartedAt)
		expect("started_at", started)
		expect("base_exam_id", src.BaseExamID)
		expect("user_exam_id", src.UserExamID)
		expect("exam_name", src.ExamName)
		if src.Certification == nil {
			certNull++
			expect("certification", nil)
		} else {
			expect("certification", *src.Certification == "true")
		}
		expect("max_attempts", int32(1))
		expect("sequence_id", src.Sequences.ID)
		expect("sequence_attempt", src.Sequences.Attempt)
		if c := src.Sequences.Counts; c == nil {
			noScore++
			for _, col := range []string{"counts_correct", "counts_total", "counts_all_correct", "score"} {
				expect(col, nil)
			}
		} else {
			correct, total := int32((*c)["correct"].(float64)), int32((*c)["total"].(float64))
			expect("counts_correct", correct)
			expect("counts_incorrect", int32((*c)["incorrect"].(float64)))
			expect("counts_incomplete", int32((*c)["incomplete"].(float64)))
			expect("counts_submitted", int32((*c)["submitted"].(float64)))
			expect("counts_unanswered", int32((*c)["unanswered"].(float64)))
			expect("counts_total", total)
			expect("counts_all_correct", (*c)["all_correct"].(bool))
			expect("score", float64(correct)/float64(total))
		}
		expect("question_count", int32(len(src.Sequences.Qs)))
		var first, last any
		nOpts := 0
		for qi, q := range src.Sequences.Qs {
			qrow := func(col string) any { return que.value(t, col, qRow) }
			qexpect := func(col string, want any) {
				t.Helper()
				if got := qrow(col); got != want {
					t.Fatalf("record %d question %d %s = %v, want %v", i, qi, col, got, want)
				}
			}
			qexpect("keen_id", src.KeenID)
			qexpect("kafka_offset", int64(i))
			qexpect("question_index", int32(qi))
			qexpect("question_id", q.ID)
			qexpect("user_correct", boolOrNil(q.UserCorrect))
			qexpect("user_incomplete", boolOrNil(q.UserIncomplete))
			qexpect("user_submitted", boolOrNil(q.UserSubmitted))
			if q.UserCorrect == nil {
				noUserCorrect++
			}
			qexpect("option_count", int32(len(q.Options)))
			opts := que.list(t, "options", qRow)
			if opts.Len() != len(q.Options) {
				t.Fatalf("record %d question %d: %d options, want %d", i, qi, opts.Len(), len(q.Options))
			}
			var qFirst, qLast any
			for oi, o := range q.Options {
				options++
				nOpts++
				got := optionAt(opts, oi)
				want := [5]any{o.ID, boolOrNil(o.Checked), boolOrNil(o.Correct), nil, nil}
				if o.Submitted != nil {
					withSubmitted++
					want[3] = *o.Submitted
				}
				if o.Correct != nil {
					withCorrect++
				}
				if o.At != nil {
					withAt++
					at := isoMicros(t, *o.At)
					want[4] = at
					qFirst, qLast = minMax(qFirst, qLast, at)
					first, last = minMax(first, last, at)
				}
				if got != want {
					t.Fatalf("record %d question %d option %d = %v, want %v", i, qi, oi, got, want)
				}
			}
			qexpect("first_answer_at", qFirst)
			qexpect("last_answer_at", qLast)
			qRow++
		}
		expect("option_count", int32(nOpts))
		expect("first_answer_at", first)
		expect("completed_at", last)
		if last == nil {
			expect("duration_seconds", nil)
		} else {
			expect("duration_seconds", float64(last.(time.Time).UnixMicro()-started.(time.Time).UnixMicro())/1e6)
		}
		expect("unknown_fields", nil)
		expect("kafka_topic", "attempts")
		expect("kafka_offset", int64(i))
		expect("kafka_timestamp", nil)
		expect("landed_at", landed)
	}
	counts := []struct {
		name      string
		got, want int
	}{
		{"certification null", certNull, realdata.CertNull},
		{"attempts without counts (null score)", noScore, realdata.AttemptsNoCounts},
		{"question rows", qRow, realdata.Questions},
		{"options", options, realdata.Options},
		{"options with at", withAt, 20680},
		{"options with correct", withCorrect, 21777},
		{"options with submitted", withSubmitted, 19456},
		{"questions without user_correct", noUserCorrect, 15},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func boolOrNil(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func minMax(lo, hi any, t any) (any, any) {
	tt := t.(time.Time)
	if lo == nil || tt.Before(lo.(time.Time)) {
		lo = t
	}
	if hi == nil || tt.After(hi.(time.Time)) {
		hi = t
	}
	return lo, hi
}

// epochMicros converts decimal epoch seconds exactly, with math/big.
func epochMicros(t *testing.T, s string) any {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad epoch %q", s)
	}
	r.Mul(r, big.NewRat(1_000_000, 1))
	us := new(big.Int).Quo(r.Num(), r.Denom())
	return time.UnixMicro(us.Int64()).UTC()
}

func isoMicros(t *testing.T, s string) any {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

// cols gives access to a record's columns by name, as plain Go values.
type cols struct {
	rec arrow.RecordBatch
	idx map[string]int
}

func columns(rec arrow.RecordBatch) cols {
	c := cols{rec: rec, idx: map[string]int{}}
	for i, f := range rec.Schema().Fields() {
		c.idx[f.Name] = i
	}
	return c
}

// optionList is one row's list of option structs.
type optionList struct {
	s      *array.Struct
	lo, hi int
}

func (o optionList) Len() int { return o.hi - o.lo }

func (c cols) list(t *testing.T, name string, row int) optionList {
	l := c.rec.Column(c.idx[name]).(*array.List)
	lo, hi := l.ValueOffsets(row)
	return optionList{l.ListValues().(*array.Struct), int(lo), int(hi)}
}

func (c cols) value(t *testing.T, name string, row int) any {
	t.Helper()
	i, ok := c.idx[name]
	if !ok {
		t.Fatalf("no column %s", name)
	}
	return cell(c.rec.Column(i), row)
}

func cell(arr arrow.Array, row int) any {
	if arr.IsNull(row) {
		return nil
	}
	switch a := arr.(type) {
	case *array.String:
		return a.Value(row)
	case *array.Binary:
		return string(a.Value(row))
	case *array.Int32:
		return a.Value(row)
	case *array.Int64:
		return a.Value(row)
	case *array.Float64:
		return a.Value(row)
	case *array.Boolean:
		return a.Value(row)
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(row))).UTC()
	}
	panic("unhandled array type " + arr.DataType().String())
}

func optionAt(o optionList, i int) [5]any {
	var out [5]any
	for f := 0; f < 5; f++ {
		out[f] = cell(o.s.Field(f), o.lo+i)
	}
	return out
}
