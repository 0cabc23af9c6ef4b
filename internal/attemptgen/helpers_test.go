package attemptgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// attemptJSON is the typed shape of a good attempt: decoding into it with
// DisallowUnknownFields fails on any unknown key or wrong JSON type.
type attemptJSON struct {
	KeenTimestamp string    `json:"keen_timestamp"`
	MaxAttempts   string    `json:"max_attempts"`
	StartedAt     string    `json:"started_at"`
	BaseExamID    string    `json:"base_exam_id"`
	UserExamID    string    `json:"user_exam_id"`
	Sequences     sequences `json:"sequences"`
	KeenCreatedAt string    `json:"keen_created_at"`
	Certification *string   `json:"certification"`
	KeenID        string    `json:"keen_id"`
	ExamName      string    `json:"exam_name"`
}

type sequences struct {
	Questions []questionJSON `json:"questions"`
	Attempt   int            `json:"attempt"`
	ID        string         `json:"id"`
	Counts    *countsJSON    `json:"counts"`
}

type countsJSON struct {
	Incomplete int  `json:"incomplete"`
	Submitted  int  `json:"submitted"`
	Incorrect  int  `json:"incorrect"`
	AllCorrect bool `json:"all_correct"`
	Correct    int  `json:"correct"`
	Total      int  `json:"total"`
	Unanswered int  `json:"unanswered"`
}

type questionJSON struct {
	UserIncomplete *bool        `json:"user_incomplete"`
	UserCorrect    *bool        `json:"user_correct"`
	Options        []optionJSON `json:"options"`
	UserSubmitted  *bool        `json:"user_submitted"`
	ID             string       `json:"id"`
	UserResult     *string      `json:"user_result"`
}

type optionJSON struct {
	Checked   bool    `json:"checked"`
	At        *string `json:"at"`
	ID        string  `json:"id"`
	Submitted *int    `json:"submitted"`
	Correct   *bool   `json:"correct"`
}

func decodeAttempt(v []byte) (attemptJSON, error) {
	var a attemptJSON
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, err
	}
	if dec.More() {
		return a, fmt.Errorf("trailing data after the attempt")
	}
	return a, nil
}

// shape walks a JSON value and reports, for every object, the level it sits
// at and its keys in order. Levels: "top", then the key holding the object
// ("sequences", "counts"), or holding the array it is an element of
// ("questions", "options").
func shape(v []byte, visit func(level string, keys []string)) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	return walkValue(dec, "top", visit)
}

func walkValue(dec *json.Decoder, level string, visit func(string, []string)) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		var keys []string
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k := kt.(string)
			keys = append(keys, k)
			if err := walkValue(dec, k, visit); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		visit(level, keys)
	case '[':
		for dec.More() {
			if err := walkValue(dec, level, visit); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	return nil
}

// orderings collects the distinct key orderings per level of many values.
type orderings map[string]map[string]int

func (o orderings) add(tb testing.TB, v []byte) {
	tb.Helper()
	err := scanShape(v, func(level string, keys []string) {
		if o[level] == nil {
			o[level] = map[string]int{}
		}
		o[level][strings.Join(keys, ",")]++
	})
	if err != nil {
		tb.Fatalf("walk %.80s: %v", v, err)
	}
}

// keyNames returns the set of key names seen at each level.
func (o orderings) keyNames() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for level, ords := range o {
		out[level] = map[string]bool{}
		for ord := range ords {
			for k := range strings.SplitSeq(ord, ",") {
				if k != "" {
					out[level][k] = true
				}
			}
		}
	}
	return out
}

// maxDepth returns how deeply arrays and objects nest in v, ignoring
// brackets inside strings.
func maxDepth(v []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range v {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func parseISO(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		tb.Fatalf("timestamp %q: %v", s, err)
	}
	return t
}

func isASCII(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// size returns how many records a test generates: full in make test, short
// under -short (make unit). Every check runs at either size; the short size
// is still large enough for each of them to pass and to fail when the
// generator breaks, only the proportion checks have less statistical power.
func size(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// generate returns n records of cfg's stream.
func generate(cfg Config, n int) []Record {
	g := New(cfg)
	out := make([]Record, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// scanShape reports what shape reports, for compact JSON whose strings hold
// no escapes, at a fraction of the cost of json.Decoder.Token. The tests
// check it against shape.
func scanShape(v []byte, visit func(level string, keys []string)) error {
	type frame struct {
		level  string
		object bool
		keys   []string
	}
	stack := []frame{{level: "top"}}
	pending := "top" // the level of the next container
	for i := 0; i < len(v); i++ {
		top := &stack[len(stack)-1]
		switch c := v[i]; c {
		case '"':
			end := bytes.IndexByte(v[i+1:], '"')
			if end < 0 {
				return fmt.Errorf("unterminated string at %d", i)
			}
			s := string(v[i+1 : i+1+end])
			i += 1 + end
			if top.object && i+1 < len(v) && v[i+1] == ':' {
				top.keys = append(top.keys, s)
				pending = s
			}
		case '{', '[':
			stack = append(stack, frame{level: pending, object: c == '{'})
		case '}', ']':
			if len(stack) < 2 {
				return fmt.Errorf("unbalanced %q at %d", c, i)
			}
			if c == '}' {
				visit(top.level, top.keys)
			}
			stack = stack[:len(stack)-1]
			// Elements of an array share the array's level.
			pending = stack[len(stack)-1].level
		case ',':
			pending = top.level
		}
	}
	if len(stack) != 1 {
		return fmt.Errorf("unbalanced JSON")
	}
	return nil
}
