package attemptgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	keenTSRe = regexp.MustCompile(`^[0-9]{10}\.[0-9]{6}$`)
	keenIDRe = regexp.MustCompile(`^[0-9a-f]{24}$`)
	uuidRe   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

var topKeys = []string{
	"keen_timestamp", "max_attempts", "started_at", "base_exam_id", "user_exam_id",
	"sequences", "keen_created_at", "certification", "keen_id", "exam_name",
}

// Allowed key orderings of nested objects, as in the real data set.
var nestedOrderings = map[string][]string{
	"sequences": {"questions,attempt,id,counts", "attempt,id,questions"},
	"counts":    {"incomplete,submitted,incorrect,all_correct,correct,total,unanswered"},
	"questions": {"user_incomplete,user_correct,options,user_submitted,id,user_result", "options,id"},
	"options": {
		"checked,id", "checked,correct,id",
		"checked,at,id", "checked,at,id,correct",
		"checked,at,id,submitted", "checked,at,id,submitted,correct",
	},
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, BadRate: 0.1, DuplicateRate: 0.05, MaxBytes: 8000}
	a, b := generate(cfg, 3000), generate(cfg, 3000)
	for i := range a {
		if !bytes.Equal(a[i].Value, b[i].Value) || !bytes.Equal(a[i].Key, b[i].Key) ||
			a[i].Want != b[i].Want || a[i].Duplicate != b[i].Duplicate {
			t.Fatalf("record %d differs between two runs of the same config", i)
		}
	}
	other := generate(Config{Seed: 43, BadRate: 0.1, DuplicateRate: 0.05, MaxBytes: 8000}, 10)
	for i := range other {
		if bytes.Equal(a[i].Value, other[i].Value) && len(a[i].Value) > 0 {
			t.Fatalf("record %d is the same under seeds 42 and 43", i)
		}
	}

	for _, w := range []struct {
		name string
		fn   func(*bytes.Buffer) error
	}{
		{"lines", func(buf *bytes.Buffer) error { return WriteLines(buf, cfg, 500) }},
		{"array", func(buf *bytes.Buffer) error { return WriteArray(buf, cfg, 500) }},
	} {
		t.Run(w.name, func(t *testing.T) {
			var x, y bytes.Buffer
			if err := w.fn(&x); err != nil {
				t.Fatal(err)
			}
			if err := w.fn(&y); err != nil {
				t.Fatal(err)
			}
			if x.Len() < 500*1000 || !bytes.Equal(x.Bytes(), y.Bytes()) {
				t.Fatalf("two writes of the same config differ or are short (%d, %d bytes)", x.Len(), y.Len())
			}
		})
	}
}

// TestStream checks 20,000 records (5,000 under -short) of the default
// stream (with duplicates) against the shape, types, consistency and
// proportions of the real data.
func TestStream(t *testing.T) {
	n := size(20000, 5000)
	cfg := Config{Seed: 7, DuplicateRate: 0.012}
	recs := generate(cfg, n)
	attempts := make([]attemptJSON, n)
	ords := orderings{}
	for i, r := range recs {
		if r.Want != "" {
			t.Fatalf("record %d: want %q in a stream without bad records", i, r.Want)
		}
		a, err := decodeAttempt(r.Value)
		if err != nil {
			t.Fatalf("record %d does not decode as an attempt: %v\n%s", i, err, r.Value)
		}
		attempts[i] = a
		ords.add(t, r.Value)
		if !isASCII(r.Value) {
			t.Fatalf("record %d is not printable ASCII", i)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, r.Value); err != nil || !bytes.Equal(compact.Bytes(), r.Value) {
			t.Fatalf("record %d is not compact JSON", i)
		}
		if string(r.Key) != a.UserExamID {
			t.Fatalf("record %d: key %q, user_exam_id %q", i, r.Key, a.UserExamID)
		}
	}

	t.Run("key order", func(t *testing.T) {
		if got := ords["top"]; len(got) != 1 || got[strings.Join(topKeys, ",")] != n {
			t.Fatalf("top-level orderings %v", got)
		}
		for level, allowed := range nestedOrderings {
			for ord := range ords[level] {
				if !slices.Contains(allowed, ord) {
					t.Errorf("%s: ordering %q does not occur in the real data", level, ord)
				}
			}
		}
		for _, level := range []string{"sequences", "counts", "questions"} {
			if len(ords[level]) != len(nestedOrderings[level]) {
				t.Errorf("%s: orderings %v, want all of %v", level, ords[level], nestedOrderings[level])
			}
		}
	})

	t.Run("fields", func(t *testing.T) {
		start := defaultStart
		end := start.Add(defaultSpan)
		for i, a := range attempts {
			at := parseISO(t, a.StartedAt)
			if at.Before(start) || !at.Before(end) {
				t.Fatalf("record %d: started_at %s outside [%s, %s)", i, a.StartedAt, start, end)
			}
			if !keenTSRe.MatchString(a.KeenTimestamp) || a.KeenCreatedAt != a.KeenTimestamp {
				t.Fatalf("record %d: keen_timestamp %q, keen_created_at %q", i, a.KeenTimestamp, a.KeenCreatedAt)
			}
			sec, _ := strconv.ParseInt(a.KeenTimestamp[:10], 10, 64)
			if !keenIDRe.MatchString(a.KeenID) || a.KeenID[:8] != fmt.Sprintf("%08x", sec) {
				t.Fatalf("record %d: keen_id %q for keen_timestamp %s", i, a.KeenID, a.KeenTimestamp)
			}
			for _, id := range []string{a.BaseExamID, a.UserExamID, a.Sequences.ID} {
				if !uuidRe.MatchString(id) {
					t.Fatalf("record %d: id %q is not a UUID", i, id)
				}
			}
			if a.MaxAttempts != "1.0" || a.Sequences.Attempt != 1 {
				t.Fatalf("record %d: max_attempts %q, attempt %d", i, a.MaxAttempts, a.Sequences.Attempt)
			}
			if a.Certification != nil && *a.Certification != "false" {
				t.Fatalf("record %d: certification %q", i, *a.Certification)
			}
			if nq := len(a.Sequences.Questions); nq < 1 || nq > 20 {
				t.Fatalf("record %d: %d questions", i, nq)
			}
		}
	})

	t.Run("counts match questions", func(t *testing.T) {
		for i, a := range attempts {
			c := a.Sequences.Counts
			if c == nil {
				continue
			}
			var want countsJSON
			for _, q := range a.Sequences.Questions {
				if q.UserResult == nil {
					t.Fatalf("record %d: a question without user fields in an attempt with counts", i)
				}
				want.Total++
				if *q.UserCorrect {
					want.Correct++
				}
				if *q.UserIncomplete {
					want.Incomplete++
				}
				if *q.UserSubmitted {
					want.Submitted++
				}
				switch *q.UserResult {
				case "incorrect":
					want.Incorrect++
				case "unanswered":
					want.Unanswered++
				}
			}
			want.AllCorrect = want.Correct == want.Total
			if *c != want {
				t.Fatalf("record %d: counts %+v, questions say %+v", i, *c, want)
			}
			if c.Correct+c.Incorrect+c.Incomplete+c.Unanswered != c.Total {
				t.Fatalf("record %d: counts %+v do not add up", i, *c)
			}
		}
	})

	t.Run("answers match options", func(t *testing.T) {
		for i, a := range attempts {
			for _, q := range a.Sequences.Questions {
				var checked, correct, checkedCorrect, checkedWrong, touched int
				for _, o := range q.Options {
					isCorrect := o.Correct != nil && *o.Correct
					if o.Checked {
						checked++
						if isCorrect {
							checkedCorrect++
						} else {
							checkedWrong++
						}
						if o.At == nil || o.Submitted == nil || *o.Submitted != 1 {
							t.Fatalf("record %d: checked option %s without at or submitted", i, o.ID)
						}
					} else if o.Submitted != nil {
						t.Fatalf("record %d: unchecked option %s has submitted", i, o.ID)
					}
					if o.At != nil {
						touched++
					}
					if isCorrect {
						correct++
					}
				}
				if q.UserResult == nil {
					continue
				}
				var ok bool
				switch *q.UserResult {
				case "correct":
					ok = checkedCorrect == correct && checkedWrong == 0
				case "incorrect":
					ok = checkedWrong > 0
				case "missed_some":
					ok = checkedWrong == 0 && checkedCorrect > 0 && checkedCorrect < correct
				case "unanswered":
					ok = checked == 0 && touched == 0 && !*q.UserSubmitted
				}
				if !ok || correct == 0 {
					t.Fatalf("record %d: question %s is %q but its options disagree", i, q.ID, *q.UserResult)
				}
			}
		}
	})

	t.Run("timing", func(t *testing.T) {
		var durations []time.Duration
		for i, a := range attempts {
			started := parseISO(t, a.StartedAt)
			var done time.Time
			for _, q := range a.Sequences.Questions {
				for _, o := range q.Options {
					if o.At == nil {
						continue
					}
					at := parseISO(t, *o.At)
					if !at.After(started) {
						t.Fatalf("record %d: answer at %s, not after started_at %s", i, *o.At, a.StartedAt)
					}
					if at.After(done) {
						done = at
					}
				}
			}
			if done.IsZero() {
				continue
			}
			d := done.Sub(started)
			if d > 6*time.Hour {
				t.Fatalf("record %d: attempt lasts %s", i, d)
			}
			durations = append(durations, d)
			keen, _ := strconv.ParseFloat(a.KeenTimestamp, 64)
			if keen < float64(done.UnixMilli())/1000 {
				t.Fatalf("record %d: keen_timestamp %s before the last answer %s", i, a.KeenTimestamp, done)
			}
		}
		slices.Sort(durations)
		median := durations[len(durations)/2]
		p90 := durations[len(durations)*9/10]
		if median < 20*time.Second || median > 5*time.Minute || p90 > 30*time.Minute {
			t.Fatalf("durations: median %s, p90 %s; want minutes", median, p90)
		}
	})

	t.Run("proportions", func(t *testing.T) {
		var certNull, noCounts, questions, bareQuestions, fourOrFive, options, withCorrect, withSubmitted, withAt int
		results := map[string]int{}
		for _, a := range attempts {
			if a.Certification == nil {
				certNull++
			}
			if a.Sequences.Counts == nil {
				noCounts++
			}
			nq := len(a.Sequences.Questions)
			if nq == 4 || nq == 5 {
				fourOrFive++
			}
			for _, q := range a.Sequences.Questions {
				questions++
				if q.UserResult == nil {
					bareQuestions++
				} else {
					results[*q.UserResult]++
				}
				for _, o := range q.Options {
					options++
					if o.Correct != nil {
						withCorrect++
					}
					if o.Submitted != nil {
						withSubmitted++
					}
					if o.At != nil {
						withAt++
					}
				}
			}
		}
		for _, c := range []struct {
			name     string
			got, of  int
			low, top float64
		}{
			{"certification null", certNull, n, 0.03, 0.05},
			{"counts absent", noCounts, n, 0.0005, 0.003},
			{"questions without user fields", bareQuestions, questions, 0.0003, 0.003},
			{"attempts with 4 or 5 questions", fourOrFive, n, 0.70, 0.88},
			{"options with correct", withCorrect, options, 0.35, 0.45},
			{"options with submitted", withSubmitted, options, 0.30, 0.40},
			{"options with at", withAt, options, 0.32, 0.42},
			{"correct questions", results["correct"], questions, 0.55, 0.70},
			{"incorrect questions", results["incorrect"], questions, 0.18, 0.32},
			{"missed_some questions", results["missed_some"], questions, 0.04, 0.12},
			{"unanswered questions", results["unanswered"], questions, 0.015, 0.06},
		} {
			share := float64(c.got) / float64(c.of)
			if share < c.low || share > c.top {
				t.Errorf("%s: %.4f (%d of %d), want [%g, %g]", c.name, share, c.got, c.of, c.low, c.top)
			}
		}
		if per := float64(options) / float64(questions); per < 3.4 || per > 4.2 {
			t.Errorf("%.2f options per question, want about 3.8", per)
		}
	})

	t.Run("duplicates and ids", func(t *testing.T) {
		byKey := map[string]int{}
		userByKeen := map[string]string{}
		dups := 0
		for i, r := range recs {
			a := attempts[i]
			if u, ok := userByKeen[a.KeenID]; ok && u != a.UserExamID {
				t.Fatalf("keen_id %s maps to user_exam_id %s and %s", a.KeenID, u, a.UserExamID)
			}
			userByKeen[a.KeenID] = a.UserExamID
			j, seen := byKey[string(r.Key)]
			switch {
			case r.Duplicate && !seen:
				t.Fatalf("record %d is a duplicate of nothing earlier", i)
			case r.Duplicate && !bytes.Equal(r.Value, recs[j].Value):
				t.Fatalf("record %d differs from the record %d it resends", i, j)
			case !r.Duplicate && seen:
				t.Fatalf("record %d reuses the key of record %d without being a duplicate", i, j)
			}
			if r.Duplicate {
				dups++
			} else {
				byKey[string(r.Key)] = i
			}
		}
		if len(userByKeen) != len(byKey) {
			t.Fatalf("%d keen_ids for %d user_exam_ids", len(userByKeen), len(byKey))
		}
		if share := float64(dups) / float64(n); share < 0.008 || share > 0.016 {
			t.Fatalf("duplicate share %.4f, want about 0.012", share)
		}
	})

	t.Run("course popularity", func(t *testing.T) {
		counts := map[string]int{}
		for i, a := range attempts {
			if !recs[i].Duplicate {
				counts[a.ExamName]++
			}
		}
		courses := Courses()
		if len(counts) != len(courses)+1 || counts[testExam] == 0 {
			t.Fatalf("%d distinct exam names, want %d courses and the test exam", len(counts), len(courses))
		}
		type kv struct {
			name string
			n    int
		}
		var sorted []kv
		for name, c := range counts {
			sorted = append(sorted, kv{name, c})
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].n > sorted[j].n })
		last := len(sorted) - 1
		if sorted[0].name != courses[0] || sorted[0].n <= sorted[1].n {
			t.Errorf("most common %v, then %v; want %q strictly first", sorted[0], sorted[1], courses[0])
		}
		if sorted[last].name != courses[len(courses)-1] || sorted[last].n >= sorted[last-1].n {
			t.Errorf("least common %v, then %v; want %q strictly last", sorted[last], sorted[last-1], courses[len(courses)-1])
		}
		if counts["Learning Git"] < n/20 {
			t.Errorf("Learning Git taken %d times in %d attempts", counts["Learning Git"], n)
		}
		if share := float64(sorted[0].n) / float64(n); share < 0.08 || share > 0.25 {
			t.Errorf("most common course has %.3f of the attempts", share)
		}
		// Attempts of an exam share its base_exam_id and sequence id.
		ids := map[string]string{}
		for _, a := range attempts {
			id := a.BaseExamID + "/" + a.Sequences.ID
			if prev, ok := ids[a.ExamName]; ok && prev != id {
				t.Fatalf("exam %q has ids %s and %s", a.ExamName, prev, id)
			}
			ids[a.ExamName] = id
		}
	})
}

func TestCourses(t *testing.T) {
	courses := Courses()
	if len(courses) < 90 || len(courses) > 110 {
		t.Fatalf("%d courses, want about 100", len(courses))
	}
	seen := map[string]bool{}
	for _, c := range courses {
		if seen[c] || c == "" || !isASCII([]byte(c)) || strings.ContainsAny(c, `"\`) {
			t.Fatalf("course %q is repeated, empty, or needs escaping", c)
		}
		seen[c] = true
	}
	if !seen["Learning Git"] || seen[testExam] {
		t.Fatalf("Learning Git listed: %v; test exam listed: %v", seen["Learning Git"], seen[testExam])
	}
	courses[0] = "changed"
	if Courses()[0] == "changed" {
		t.Fatal("Courses returns the generator's own slice")
	}
}

func TestConfigTimeRange(t *testing.T) {
	start := time.Date(2024, 2, 28, 12, 0, 0, 0, time.UTC)
	cfg := Config{Seed: 3, Start: start, Span: 2 * time.Hour}
	for i, r := range generate(cfg, 500) {
		a, err := decodeAttempt(r.Value)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		at := parseISO(t, a.StartedAt)
		if at.Before(start) || !at.Before(start.Add(2*time.Hour)) {
			t.Fatalf("record %d: started_at %s outside the configured span", i, a.StartedAt)
		}
	}
}

func TestAppendISO(t *testing.T) {
	for _, ms := range []int64{
		0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, // 2000-02-29
		1_516_717_399_082, 1_511_222_400_000, 4_107_542_399_999, -1, -86_400_001,
	} {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendISO(nil, ms)); got != want {
			t.Errorf("appendISO(%d) = %s, want %s", ms, got, want)
		}
	}
	r := newRNG(1)
	for range 10000 {
		ms := r.int63n(253_402_300_799_999) // up to 9999-12-31
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendISO(nil, ms)); got != want {
			t.Fatalf("appendISO(%d) = %s, want %s", ms, got, want)
		}
	}
}

func TestWriteLines(t *testing.T) {
	cfg := Config{Seed: 11, BadRate: 0.2, DuplicateRate: 0.05}
	var buf bytes.Buffer
	if err := WriteLines(&buf, cfg, 2000); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	recs := generate(cfg, 2000)
	if len(lines) != len(recs) {
		t.Fatalf("%d lines, want %d", len(lines), len(recs))
	}
	for i := range recs {
		if !bytes.Equal(lines[i], recs[i].Value) {
			t.Fatalf("line %d differs from the stream's record", i)
		}
	}
}

func TestWriteArray(t *testing.T) {
	for _, n := range []int{0, 1, 1500} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			cfg := Config{Seed: 5, BadRate: 0.3, DuplicateRate: 0.02, MaxBytes: 100}
			var buf bytes.Buffer
			if err := WriteArray(&buf, cfg, n); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if !bytes.HasSuffix(out, []byte("]\n")) || bytes.Count(out, []byte("\n")) != 1 {
				t.Fatal("the array is not one line ending in a newline")
			}
			var elems []json.RawMessage
			if err := json.Unmarshal(out, &elems); err != nil || len(elems) != n {
				t.Fatalf("%d elements, err %v; want %d", len(elems), err, n)
			}
			// The elements are the good stream of the same seed, spaced out.
			cfg.BadRate, cfg.MaxBytes = 0, 0
			want := []byte{'['}
			for i, r := range generate(cfg, n) {
				if i > 0 {
					want = append(want, ',')
				}
				want = append(want, r.Value...)
			}
			want = append(want, ']')
			var compact bytes.Buffer
			if err := json.Compact(&compact, out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(compact.Bytes(), want) {
				t.Fatal("the array does not hold the stream's good records")
			}
			if n > 0 && !bytes.HasPrefix(out, []byte(`[{"keen_timestamp": "`)) {
				t.Fatalf("array starts %.30q, want the data set's spacing", out)
			}
		})
	}
}

func TestAppendSpaced(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, `{}`},
		{`{"a":1,"b":[1,2]}`, `{"a": 1, "b": [1, 2]}`},
		{`{"t":"12:00, noon"}`, `{"t": "12:00, noon"}`},
		{`{"q":"say \"a:b\", ok","n":null}`, `{"q": "say \"a:b\", ok", "n": null}`},
		{`["\\",1]`, `["\\", 1]`},
	} {
		if got := string(appendSpaced(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("appendSpaced(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestScanShape checks the fast shape scanner against json.Decoder.
func TestScanShape(t *testing.T) {
	for i, r := range generate(Config{Seed: 2}, 300) {
		var want, got []string
		if err := shape(r.Value, func(level string, keys []string) {
			want = append(want, level+":"+strings.Join(keys, ","))
		}); err != nil {
			t.Fatal(err)
		}
		if err := scanShape(r.Value, func(level string, keys []string) {
			got = append(got, level+":"+strings.Join(keys, ","))
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || len(want) < 5 {
			t.Fatalf("record %d: scanner saw %v\ndecoder saw %v", i, got, want)
		}
	}
}
