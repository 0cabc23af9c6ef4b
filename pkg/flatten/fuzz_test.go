package flatten

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzDecode feeds arbitrary bytes through the decoder and the batch. It
// checks that nothing panics, that the outcome agrees with encoding/json on
// what is valid JSON, and that every byte of Arrow memory is released.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(fixture))
	f.Add([]byte(`{"keen_id":"k","sequences":{"questions":[{"options":[{"at":"2020-01-01T00:00:00Z"}]}]}}`))
	files, _ := filepath.Glob("testdata/quarantine/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		b := NewBatch(mem)
		var d Decoder
		meta := &Meta{Topic: "t", Offset: 1, LandedAt: time.Unix(0, 0)}
		a, err := d.Decode(msg)
		valid := json.Valid(msg) && utf8.Valid(msg)
		switch {
		case err == nil:
			if !valid {
				t.Fatalf("decoded a message encoding/json rejects: %q", msg)
			}
			b.AppendAttempt(meta, a)
		default:
			ie, ok := err.(*InvalidError)
			if !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			syntaxReason := ie.Reason == ReasonInvalidJSON || ie.Reason == ReasonTooDeep
			if valid && ie.Reason == ReasonInvalidJSON {
				t.Fatalf("invalid_json for a message encoding/json accepts: %q: %v", msg, err)
			}
			if !valid && len(msg) > 0 && utf8.Valid(msg) && !syntaxReason {
				t.Fatalf("reason %s for malformed JSON %q", ie.Reason, msg)
			}
			b.AppendQuarantine(meta, ie, msg)
		}
		recs := b.Take()
		for _, r := range []arrow.RecordBatch{recs.Attempts, recs.Questions, recs.Quarantine} {
			if r == nil {
				continue
			}
			for i, c := range r.Columns() {
				if int64(c.Len()) != r.NumRows() {
					t.Fatalf("column %d has %d rows, record %d", i, c.Len(), r.NumRows())
				}
			}
		}
		recs.Release()
		b.Release()
		mem.AssertSize(t, 0)
	})
}
