package flatten

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixture is a hand-made attempt with every field of the real shape and a
// few quirks (string numbers and booleans, an absent `at`, an escape).
const fixture = `{"keen_timestamp":"1600000000.123456","max_attempts":"1.0","started_at":"2020-09-13T12:26:40.500Z",` +
	`"base_exam_id":"exam-1","user_exam_id":"ue-1","sequences":{"questions":[` +
	`{"user_incomplete":false,"user_correct":true,"options":[` +
	`{"checked":true,"at":"2020-09-13T12:27:00.000Z","id":"o1","submitted":1,"correct":true},` +
	`{"checked":false,"id":"o2"}],"user_submitted":true,"id":"q1","user_result":"correct"},` +
	`{"user_incomplete":true,"user_correct":false,"options":[` +
	`{"checked":true,"at":"2020-09-13T12:30:40.750Z","id":"o3","submitted":1}],` +
	`"user_submitted":true,"id":"q2","user_result":"incorrect"}],` +
	`"attempt":1,"id":"seq-1","counts":{"incomplete":1,"submitted":2,"incorrect":1,"all_correct":false,` +
	`"correct":1,"total":2,"unanswered":0}},"keen_created_at":"1600000000.123456","certification":"false",` +
	`"keen_id":"k-1","exam_name":"Learning \"Git\" \u00e9"}`

func mustDecode(t *testing.T, msg string) *Attempt {
	t.Helper()
	var d Decoder
	a, err := d.Decode([]byte(msg))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return a
}

func TestDecodeFixture(t *testing.T) {
	a := mustDecode(t, fixture)
	us := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMicro()
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"keen_id", string(a.KeenID.B), "k-1"},
		{"exam_name unescaped", string(a.ExamName.B), `Learning "Git" é`},
		{"keen_timestamp", a.KeenTimestamp, Time{1600000000123456, true}},
		{"keen_created_at", a.KeenCreatedAt, Time{1600000000123456, true}},
		{"started_at", a.StartedAt, Time{us("2020-09-13T12:26:40.5Z"), true}},
		{"certification", a.Certification, Bool{false, true}},
		{"max_attempts", a.MaxAttempts, Int32{1, true}},
		{"sequence_id", string(a.SequenceID.B), "seq-1"},
		{"sequence_attempt", a.SequenceAttempt, Int32{1, true}},
		{"counts", a.Counts, Counts{Correct: Int32{1, true}, Incorrect: Int32{1, true}, Incomplete: Int32{1, true},
			Submitted: Int32{2, true}, Unanswered: Int32{0, true}, Total: Int32{2, true}, AllCorrect: Bool{false, true}}},
		{"questions", len(a.Questions), 2},
		{"q1 options", len(a.Questions[0].Options), 2},
		{"q2 options", len(a.Questions[1].Options), 1},
		{"q1 result", string(a.Questions[0].UserResult.B), "correct"},
		{"o2 at absent", a.Questions[0].Options[1].At, Time{}},
		{"o2 correct absent", a.Questions[0].Options[1].Correct, Bool{}},
		{"o3 at", a.Questions[1].Options[0].At, Time{us("2020-09-13T12:30:40.75Z"), true}},
		{"unknown", a.Unknown, []byte(nil)},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	d := a.Derive()
	wantDerived := AttemptDerived{
		Score:           Float64{0.5, true},
		QuestionCount:   Int32{2, true},
		OptionCount:     Int32{3, true},
		FirstAnswerAt:   Time{us("2020-09-13T12:27:00Z"), true},
		CompletedAt:     Time{us("2020-09-13T12:30:40.75Z"), true},
		DurationSeconds: Float64{240.25, true},
	}
	if d != wantDerived {
		t.Errorf("Derive = %+v, want %+v", d, wantDerived)
	}
	qd := a.Questions[0].Derive()
	if qd.OptionCount.V != 2 || qd.OptionsChecked.V != 1 || qd.OptionsCorrect.V != 1 || qd.LastAnswerAt != qd.FirstAnswerAt {
		t.Errorf("question Derive = %+v", qd)
	}
}

func equal(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, _ := b.([]byte)
		return string(ab) == string(bb) && (ab == nil) == (bb == nil)
	}
	return a == b
}

// TestDecodeLenientTypes: the source sends numbers and booleans in several
// JSON forms; each is typed, and null or absent stays unknown.
func TestDecodeLenientTypes(t *testing.T) {
	cases := []struct {
		name, msg string
		check     func(a *Attempt) bool
	}{
		{"max_attempts number", `{"keen_id":"k","max_attempts":3}`, func(a *Attempt) bool { return a.MaxAttempts == Int32{3, true} }},
		{"max_attempts string", `{"keen_id":"k","max_attempts":"2"}`, func(a *Attempt) bool { return a.MaxAttempts == Int32{2, true} }},
		{"max_attempts 1e1", `{"keen_id":"k","max_attempts":1e1}`, func(a *Attempt) bool { return a.MaxAttempts == Int32{10, true} }},
		{"max_attempts null", `{"keen_id":"k","max_attempts":null}`, func(a *Attempt) bool { return a.MaxAttempts == Int32{} }},
		{"max_attempts absent", `{"keen_id":"k"}`, func(a *Attempt) bool { return a.MaxAttempts == Int32{} }},
		{"negative count", `{"keen_id":"k","sequences":{"counts":{"total":-2}}}`, func(a *Attempt) bool { return a.Counts.Total == Int32{-2, true} }},
		{"certification true string", `{"keen_id":"k","certification":"true"}`, func(a *Attempt) bool { return a.Certification == Bool{true, true} }},
		{"certification bool", `{"keen_id":"k","certification":true}`, func(a *Attempt) bool { return a.Certification == Bool{true, true} }},
		{"certification null", `{"keen_id":"k","certification":null}`, func(a *Attempt) bool { return a.Certification == Bool{} }},
		{"epoch as number", `{"keen_id":"k","keen_timestamp":1516717442.5}`, func(a *Attempt) bool { return a.KeenTimestamp == Time{1516717442500000, true} }},
		{"epoch no fraction", `{"keen_id":"k","keen_timestamp":"1516717442"}`, func(a *Attempt) bool { return a.KeenTimestamp == Time{1516717442000000, true} }},
		{"epoch nanos truncated", `{"keen_id":"k","keen_timestamp":"1.1234567"}`, func(a *Attempt) bool { return a.KeenTimestamp == Time{1123456, true} }},
		{"offset timestamp", `{"keen_id":"k","started_at":"1970-01-01T02:00:00+02:00"}`, func(a *Attempt) bool { return a.StartedAt == Time{0, true} }},
		{"sequences null", `{"keen_id":"k","sequences":null}`, func(a *Attempt) bool { return !a.HasSequences && !a.HasQuestions }},
		{"counts absent", `{"keen_id":"k","sequences":{"questions":[]}}`, func(a *Attempt) bool { return !a.HasCounts && a.HasQuestions && a.Derive().Score == Float64{} }},
		{"total zero", `{"keen_id":"k","sequences":{"counts":{"correct":0,"total":0}}}`, func(a *Attempt) bool { return a.Derive().Score == Float64{} }},
		{"options null", `{"keen_id":"k","sequences":{"questions":[{"id":"q","options":null}]}}`, func(a *Attempt) bool {
			return len(a.Questions) == 1 && !a.Questions[0].HasOptions && a.Questions[0].Derive().OptionCount == Int32{}
		}},
		{"options empty", `{"keen_id":"k","sequences":{"questions":[{"id":"q","options":[]}]}}`, func(a *Attempt) bool {
			zero := Int32{0, true}
			return a.Questions[0].Derive() == QuestionDerived{OptionCount: zero, OptionsChecked: zero, OptionsCorrect: zero} &&
				a.Derive().OptionCount == zero && a.Derive().QuestionCount == Int32{1, true}
		}},
		{"whitespace everywhere", " {\n\t\"keen_id\" : \"k\" ,\r\n \"max_attempts\" : 4 } \n", func(a *Attempt) bool { return a.MaxAttempts == Int32{4, true} }},
		{"surrogate pair", `{"keen_id":"\ud83d\ude00"}`, func(a *Attempt) bool { return string(a.KeenID.B) == "😀" }},
		{"lone surrogate", `{"keen_id":"a\ud800b"}`, func(a *Attempt) bool { return string(a.KeenID.B) == "a\uFFFDb" }},
		{"escaped key", `{"keen\u005fid":"k","max_attempts":5}`, func(a *Attempt) bool { return string(a.KeenID.B) == "k" && a.MaxAttempts.V == 5 }},
		{"duplicate key, last wins", `{"keen_id":"a","keen_id":"b"}`, func(a *Attempt) bool { return string(a.KeenID.B) == "b" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if a := mustDecode(t, c.msg); !c.check(a) {
				t.Errorf("unexpected attempt %+v", a)
			}
		})
	}
}

// TestDecodeUnknownFields: fields landerd does not know are kept verbatim.
func TestDecodeUnknownFields(t *testing.T) {
	msg := `{"keen_id":"k","new":{"a":[1,2]},"sequences":{"extra":"x","counts":{"bonus":1.5},` +
		`"questions":[{"id":"q","hint":"h","options":[{"id":"o"},{"id":"p","weight":2}]},{"id":"r"}]},"z":null}`
	a := mustDecode(t, msg)
	if got, want := string(a.Unknown), `{"new":{"a":[1,2]},"sequences.extra":"x","sequences.counts.bonus":1.5,"z":null}`; got != want {
		t.Errorf("attempt unknown = %s, want %s", got, want)
	}
	if got, want := string(a.Questions[0].Unknown), `{"hint":"h","options[1].weight":2}`; got != want {
		t.Errorf("question unknown = %s, want %s", got, want)
	}
	if a.Questions[1].Unknown != nil {
		t.Errorf("second question unknown = %s, want nil", a.Questions[1].Unknown)
	}
}

// TestDecodeReuse: decoding a second message leaves nothing of the first.
func TestDecodeReuse(t *testing.T) {
	var d Decoder
	if _, err := d.Decode([]byte(fixture)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Decode([]byte(`{"keen_id":"broken","sequences":{"counts":{"correct":true}}}`)); err == nil {
		t.Fatal("want an error")
	}
	a, err := d.Decode([]byte(`{"keen_id":"k2","x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(a.KeenID.B) != "k2" || a.HasSequences || len(a.Questions) != 0 || a.StartedAt.Valid || string(a.Unknown) != `{"x":1}` {
		t.Errorf("state leaked between messages: %+v", a)
	}
}

func TestDecodeQuarantineFields(t *testing.T) {
	cases := []struct {
		msg    string
		reason Reason
		field  string
	}{
		{`{"keen_id":"k","sequences":{"questions":[{"id":"q"},{"options":[{"id":"a"},{"at":"noon"}]}]}}`,
			ReasonInvalidValue, "sequences.questions[1].options[1].at"},
		{`{"keen_id":"k","sequences":{"questions":[{"user_correct":"yes"}]}}`, ReasonInvalidValue, "sequences.questions[0].user_correct"},
		{`{"keen_id":"k","sequences":{"questions":[{"id":"q"},7]}}`, ReasonInvalidType, "sequences.questions[1]"},
		{`{"keen_id":"k","sequences":{"questions":[{"options":[1]}]}}`, ReasonInvalidType, "sequences.questions[0].options[0]"},
		{`{"keen_id":"k","sequences":{"counts":{"total":"x"}}}`, ReasonInvalidValue, "sequences.counts.total"},
		{`{"keen_id":"k","sequences":{"attempt":[]}}`, ReasonInvalidType, "sequences.attempt"},
		{`{"keen_id":"k","exam_name":{"x":1}}`, ReasonInvalidType, "exam_name"},
		{`{"keen_id":"k","max_attempts":2147483648}`, ReasonInvalidValue, "max_attempts"},
		{`{"user_exam_id":"u"}`, ReasonMissingField, "keen_id"},
	}
	for _, c := range cases {
		var d Decoder
		_, err := d.Decode([]byte(c.msg))
		ie, ok := err.(*InvalidError)
		if !ok {
			t.Errorf("%s: err = %v, want *InvalidError", c.msg, err)
			continue
		}
		if ie.Reason != c.reason || ie.Field != c.field {
			t.Errorf("%s: got %s at %q (%v), want %s at %q", c.msg, ie.Reason, ie.Field, ie, c.reason, c.field)
		}
	}
}

// TestQuarantineCorpus decodes every file of testdata/quarantine, named
// <reason>-<what>.json, and checks the reason.
func TestQuarantineCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/quarantine/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	seen := map[Reason]bool{}
	for _, f := range files {
		msg, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := Reason(strings.SplitN(filepath.Base(f), "-", 2)[0])
		var d Decoder
		_, err = d.Decode(msg)
		if got := ReasonOf(err); got != want {
			t.Errorf("%s: reason %q (%v), want %q", f, got, err, want)
		}
		seen[want] = true
	}
	var d Decoder
	d.MaxBytes = 10
	if _, err := d.Decode([]byte(`{"keen_id":"0123456789"}`)); ReasonOf(err) != ReasonTooLarge {
		t.Errorf("too_large: got %v", err)
	}
	seen[ReasonTooLarge] = true
	// The lander assigns these, from the record's header or topic.
	seen[ReasonTenantMissing], seen[ReasonTenantUnknown] = true, true
	for _, r := range Reasons {
		if !seen[r] {
			t.Errorf("reason %s has no case in the corpus", r)
		}
	}
}

// TestDecodeFieldOfBrokenKey: a message cut inside a key names the object
// the key belongs to.
func TestDecodeFieldOfBrokenKey(t *testing.T) {
	var d Decoder
	_, err := d.Decode([]byte(`{"keen_id":"k","sequences":{"questions":[{"options":[{"id":"a","che`))
	ie, ok := err.(*InvalidError)
	if !ok || ie.Reason != ReasonInvalidJSON || ie.Field != "sequences.questions[0].options[0]" {
		t.Fatalf("got %#v", err)
	}
}

// TestDecodeInvalidUTF8 pins the reason and offset of invalid UTF-8 wherever
// it sits: in keys and values, plain or escaped, in unknown fields, outside
// strings, behind other errors and in values that are not objects. The first
// bad byte is reported, ahead of every other problem.
func TestDecodeInvalidUTF8(t *testing.T) {
	cases := []struct {
		msg    string
		offset int
	}{
		{"{\"keen_id\":\"k\xff1\"}", 13},
		{"{\"keen_id\":\"0123456789abc\xc3(\"}", 25},
		{"{\"k\xe9y\":1,\"keen_id\":\"k\"}", 3},
		{"{\"keen_id\":\"k\",\"exam_name\":\"a\\n\xed\xa0\x80\"}", 31},
		{"{\"keen_id\":\"k\",\"extra\":[\"ok é\",{\"x\":\"\x80\"}]}", 38},
		{"{\"keen_id\":\"k\"}\xff", 15},
		{"{\"keen_id\":\xff}", 11},
		{"{\"keen_id\":7,\"x\":\"\xff\"}", 18},
		{"{\"keen_id\":\"k\",\"sequences\":{\"questions\":[{\"options\":[{\"at\":\"noon\"}]}]},\"z\":\"\xc0\xaf\"}", 76},
		{"[\"\xff\"]", 2},
		{"\"\xf4\x90\x80\x80\"", 1},
		{"{\"keen_id\":\"k\",\"x\":\"\xe2\x82", 20},
	}
	for _, c := range cases {
		var d Decoder
		_, err := d.Decode([]byte(c.msg))
		ie, ok := err.(*InvalidError)
		if !ok || ie.Reason != ReasonInvalidUTF8 || ie.Offset != c.offset || ie.Field != "" {
			t.Errorf("%q: got %#v, want invalid_utf8 at %d", c.msg, err, c.offset)
		}
	}
	// Valid non-ASCII text in every kind of string decodes unchanged.
	a := mustDecode(t, `{"keen_id":"k-é","exam_name":"日本語 \"x\" ü","ünknown":["ö"]}`)
	if string(a.KeenID.B) != "k-é" || string(a.ExamName.B) != `日本語 "x" ü` || string(a.Unknown) != `{"ünknown":["ö"]}` {
		t.Errorf("got %q %q %q", a.KeenID.B, a.ExamName.B, a.Unknown)
	}
}

// TestDecodeTimestampInPlace: an option's `at` of the producers' 24-byte
// form is parsed in place; every other string, of that length or not, gets
// the same result as through the string scan.
func TestDecodeTimestampInPlace(t *testing.T) {
	cases := []struct {
		raw    string // the JSON value
		micros int64  // when valid
		reason Reason // when not
	}{
		{`"2018-01-23T14:23:24.670Z"`, 1516717404670000, ""},
		{`"2018-01-23T14:23:24.670z"`, 1516717404670000, ""},
		{`"2018-01-23 14:23:24.670Z"`, 1516717404670000, ""},
		{`"2018-01-23T14:23:24.6701Z"`, 1516717404670100, ""},
		{`"2018-01-23T16:23:24+02:00"`, 1516717404000000, ""},
		{`"2018-01-23T14:23:24.67Z"`, 1516717404670000, ""},
		{`"2018-02-30T14:23:24.670Z"`, 0, ReasonInvalidValue},
		{`"2018-01-23T14:23:24.670Q"`, 0, ReasonInvalidValue},
		{`"2018-01-23T14:23:24\"670Z"`, 0, ReasonInvalidValue},
		{`"2018-01-23T14:23:24\u002e670Z"`, 1516717404670000, ""},
		{`"2018-01-23T14:23:24.670Z`, 0, ReasonInvalidJSON},
		{`"2018-01-23T14:23:24.670Z"x`, 0, ReasonInvalidJSON},
		{`"20180123T14:23:24.670Z""`, 0, ReasonInvalidJSON},
	}
	for _, c := range cases {
		msg := `{"keen_id":"k","sequences":{"questions":[{"options":[{"at":` + c.raw + `}]}]}}`
		var d Decoder
		a, err := d.Decode([]byte(msg))
		switch {
		case c.reason != "":
			if ReasonOf(err) != c.reason {
				t.Errorf("%s: got %v, want %s", c.raw, err, c.reason)
			}
		case err != nil:
			t.Errorf("%s: %v", c.raw, err)
		case a.Questions[0].Options[0].At != (Time{Micros: c.micros, Valid: true}):
			t.Errorf("%s: got %+v, want %d", c.raw, a.Questions[0].Options[0].At, c.micros)
		}
	}
}
