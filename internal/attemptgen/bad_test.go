package attemptgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/landerd/landerd/pkg/flatten"
)

// badCheck verifies that v really has the defect its reason names, and
// returns which variant of it v is.
type badCheck func(v []byte, maxBytes int) (variant string, err error)

// object decodes v as a JSON object, failing when it is anything else.
func object(v []byte) (map[string]any, error) {
	if !utf8.Valid(v) || !json.Valid(v) {
		return nil, fmt.Errorf("not valid UTF-8 JSON")
	}
	var m map[string]any
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, err
	}
	if m["user_exam_id"] == nil || m["exam_name"] == nil {
		return nil, fmt.Errorf("the attempt lost more than the defect")
	}
	return m, nil
}

// counts returns sequences.counts of an attempt, if any.
func countsOf(m map[string]any) map[string]any {
	seq, _ := m["sequences"].(map[string]any)
	c, _ := seq["counts"].(map[string]any)
	return c
}

var badChecks = map[flatten.Reason]badCheck{
	flatten.ReasonEmpty: func(v []byte, _ int) (string, error) {
		if len(v) != 0 {
			return "", fmt.Errorf("%d bytes", len(v))
		}
		if v == nil {
			return "nil", nil
		}
		return "zero-length", nil
	},
	flatten.ReasonTooLarge: func(v []byte, maxBytes int) (string, error) {
		if maxBytes <= 0 || len(v) <= maxBytes {
			return "", fmt.Errorf("%d bytes, limit %d", len(v), maxBytes)
		}
		return "padded", nil
	},
	flatten.ReasonInvalidUTF8: func(v []byte, _ int) (string, error) {
		if utf8.Valid(v) {
			return "", fmt.Errorf("valid UTF-8")
		}
		// Only the one byte is wrong: the rest is a well-formed attempt.
		if _, err := object(bytes.ToValidUTF8(v, []byte("?"))); err != nil {
			return "", err
		}
		return "byte in string", nil
	},
	flatten.ReasonInvalidJSON: func(v []byte, _ int) (string, error) {
		if len(v) == 0 || !utf8.Valid(v) || json.Valid(v) {
			return "", fmt.Errorf("empty, invalid UTF-8 or valid JSON")
		}
		return "truncated", nil
	},
	flatten.ReasonTooDeep: func(v []byte, _ int) (string, error) {
		if _, err := object(v); err != nil {
			return "", err
		}
		if d := maxDepth(v); d <= flatten.MaxDepth {
			return "", fmt.Errorf("depth %d", d)
		}
		return "deep field", nil
	},
	flatten.ReasonNotObject: func(v []byte, _ int) (string, error) {
		if !utf8.Valid(v) || !json.Valid(v) {
			return "", fmt.Errorf("not valid JSON")
		}
		switch bytes.TrimSpace(v)[0] {
		case '{':
			return "", fmt.Errorf("an object")
		case '[':
			return "array", nil
		}
		return "scalar", nil
	},
	flatten.ReasonMissingField: func(v []byte, _ int) (string, error) {
		m, err := object(v)
		if err != nil {
			return "", err
		}
		id, present := m["keen_id"]
		switch {
		case !present:
			return "absent", nil
		case id == nil:
			return "null", nil
		case id == "":
			return "empty", nil
		}
		return "", fmt.Errorf("keen_id %v", id)
	},
	flatten.ReasonInvalidType: func(v []byte, _ int) (string, error) {
		m, err := object(v)
		if err != nil {
			return "", err
		}
		if _, ok := m["sequences"].(string); ok {
			return "sequences string", nil
		}
		if _, ok := m["sequences"].(map[string]any)["questions"].(map[string]any); ok {
			return "questions object", nil
		}
		if _, ok := countsOf(m)["correct"].(bool); ok {
			return "counts.correct bool", nil
		}
		return "", fmt.Errorf("no field of the wrong type")
	},
	flatten.ReasonInvalidValue: func(v []byte, _ int) (string, error) {
		m, err := object(v)
		if err != nil {
			return "", err
		}
		if m["started_at"] == "yesterday" {
			return "started_at word", nil
		}
		if countsOf(m)["correct"] == "three" {
			return "counts.correct word", nil
		}
		return "", fmt.Errorf("no unusable value")
	},
}

// wantVariants lists every variant each reason must show.
var wantVariants = map[flatten.Reason][]string{
	flatten.ReasonEmpty:        {"nil", "zero-length"},
	flatten.ReasonTooLarge:     {"padded"},
	flatten.ReasonInvalidUTF8:  {"byte in string"},
	flatten.ReasonInvalidJSON:  {"truncated"},
	flatten.ReasonTooDeep:      {"deep field"},
	flatten.ReasonNotObject:    {"array", "scalar"},
	flatten.ReasonMissingField: {"absent", "null", "empty"},
	flatten.ReasonInvalidType:  {"sequences string", "questions object", "counts.correct bool"},
	flatten.ReasonInvalidValue: {"started_at word", "counts.correct word"},
}

func TestBadRecords(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxBytes int
	}{
		{"no size limit", 0},
		{"size limit", 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := size(4000, 1500)
			cfg := Config{Seed: 99, BadRate: 0.25, DuplicateRate: 0.02, MaxBytes: tc.maxBytes}
			seen := map[flatten.Reason]map[string]int{}
			bad := 0
			for i, r := range generate(cfg, n) {
				if r.Want == "" {
					if _, err := decodeAttempt(r.Value); err != nil {
						t.Fatalf("record %d is marked good but does not decode: %v", i, err)
					}
					continue
				}
				bad++
				if r.Duplicate {
					t.Fatalf("record %d is both bad and a duplicate", i)
				}
				check, ok := badChecks[r.Want]
				if !ok {
					t.Fatalf("record %d: unknown reason %q", i, r.Want)
				}
				variant, err := check(r.Value, tc.maxBytes)
				if err != nil {
					t.Fatalf("record %d, want %s: %v\n%.200q", i, r.Want, err, r.Value)
				}
				if seen[r.Want] == nil {
					seen[r.Want] = map[string]int{}
				}
				seen[r.Want][variant]++
			}
			if share := float64(bad) / float64(n); share < 0.20 || share > 0.30 {
				t.Errorf("bad share %.3f, want about 0.25", share)
			}
			for _, reason := range flatten.Reasons {
				if reason == flatten.ReasonTooLarge && tc.maxBytes == 0 {
					if len(seen[reason]) > 0 {
						t.Errorf("too_large records without a size limit: %v", seen[reason])
					}
					continue
				}
				for _, v := range wantVariants[reason] {
					if seen[reason][v] == 0 {
						t.Errorf("%s: no %q record in %d (seen %v)", reason, v, n, seen[reason])
					}
				}
			}
		})
	}
}

// TestSmallMaxBytes checks that any record over the limit is expected as
// too_large, whatever else is wrong with it.
func TestSmallMaxBytes(t *testing.T) {
	const limit = 2500
	over, under := 0, 0
	for i, r := range generate(Config{Seed: 8, BadRate: 0.3, MaxBytes: limit}, 3000) {
		if len(r.Value) > limit {
			over++
			if r.Want != flatten.ReasonTooLarge {
				t.Fatalf("record %d has %d bytes over the %d limit but wants %q", i, len(r.Value), limit, r.Want)
			}
		} else {
			under++
			if r.Want == flatten.ReasonTooLarge {
				t.Fatalf("record %d has %d bytes, within the limit, but wants too_large", i, len(r.Value))
			}
		}
	}
	if over == 0 || under == 0 {
		t.Fatalf("%d records over and %d under the limit; want both", over, under)
	}
}

func TestKeys(t *testing.T) {
	for i, r := range generate(Config{Seed: 12, BadRate: 0.5, DuplicateRate: 0.05}, 2000) {
		switch {
		case r.Want == flatten.ReasonEmpty:
			if !uuidRe.Match(r.Key) {
				t.Fatalf("record %d: empty value with key %q", i, r.Key)
			}
		case r.Key == nil:
			if r.Want != flatten.ReasonNotObject || r.Value[0] == '[' {
				t.Fatalf("record %d (%s): no key", i, r.Want)
			}
		case !bytes.Contains(r.Value, r.Key) && r.Want != flatten.ReasonInvalidJSON:
			t.Fatalf("record %d (%s): key %q not in the value", i, r.Want, r.Key)
		}
	}
}
