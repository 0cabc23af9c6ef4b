package produce

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/valyala/fastjson"
)

func TestCompactValid(t *testing.T) {
	tests := []string{
		`{}`,
		` { "a" : [ 1 , 2 ] } `,
		"{\n\t\"s\": \"keep  \\\" spaces \\\\\", \"t\" : \"\\\\\"\r\n}",
		`["\u00e9 \" ]", 1.0e+5, true, null]`,
		`"only a string with \\ and spaces "`,
	}
	for _, in := range tests {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		got := compactValid([]byte(in))
		if !bytes.Equal(got, want.Bytes()) || cap(got) != len(got) {
			t.Errorf("compactValid(%q) = %q (cap %d), want %q", in, got, cap(got), want.Bytes())
		}
	}
}

func FuzzCompactValid(f *testing.F) {
	f.Add([]byte(`{"a": [1, "x y", {"b": "\""}]}`))
	f.Add([]byte(` "\\" `))
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, in); err != nil {
			t.Fatal(err)
		}
		if got := compactValid(in); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("compactValid(%q) = %q, want %q", in, got, want.Bytes())
		}
	})
}

// FuzzSource reads arbitrary input as the publisher does: it must never
// panic, every record it yields must be valid compact JSON, and it must end
// in io.EOF, an InputError or nothing else.
func FuzzSource(f *testing.F) {
	f.Add([]byte(`[{"user_exam_id": "u"}, 1, "x"]`))
	f.Add([]byte("{\"user_exam_id\": 3}\n\n{}\r\nnope\n"))
	f.Add([]byte(`[{"a":1},{"a":2,}]`))
	f.Add([]byte("\x1f\x8b\x08"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, skip := range []bool{false, true} {
			src, err := openSource(bytes.NewReader(in), 64, skip)
			if err != nil {
				if !acceptable(err) {
					t.Fatalf("open: %v", err)
				}
				return
			}
			for i := 0; ; i++ {
				m, err := src.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					if !acceptable(err) {
						t.Fatalf("record %d: %v", i, err)
					}
					break
				}
				var c bytes.Buffer
				if err := json.Compact(&c, m.value); err != nil || !bytes.Equal(c.Bytes(), m.value) {
					t.Fatalf("record %d %q is not compact JSON: %v", i, m.value, err)
				}
				if len(m.value) > 64 {
					t.Fatalf("record %d of %d bytes over the limit", i, len(m.value))
				}
			}
		}
	})
}

// acceptable reports whether err is an error the source may return for bad
// input held in memory: bad JSON, or a corrupt gzip stream.
func acceptable(err error) bool {
	var ie *InputError
	var ce flate.CorruptInputError
	return errors.As(err, &ie) || errors.As(err, &ce) ||
		errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func TestKeyOf(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{`{"user_exam_id":"abc"}`, []byte("abc")},
		{`{"user_exam_id":"a\"b\u00e9"}`, []byte("a\"bé")},
		{`{"user_exam_id":7}`, []byte("7")},
		{`{"user_exam_id":null}`, nil},
		{`{"other":"x"}`, nil},
		{`{"nested":{"user_exam_id":"x"}}`, nil},
		{`["user_exam_id"]`, nil},
		{`"user_exam_id"`, nil},
	}
	for _, tt := range tests {
		var p fastjsonParser
		got := keyOf(&p, []byte(tt.in))
		if !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("keyOf(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

type fastjsonParser = fastjson.Parser
