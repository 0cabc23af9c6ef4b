package produce_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/landerd/landerd/internal/produce"
)

// syntheticAttempts builds an array of n attempt-like records of a few KB
// each, in the layout of the real data set.
func syntheticAttempts(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"keen_id": "k%06d", "keen_timestamp": "1516717442.735266", "user_exam_id": "u%06d", "exam_name": "Exam %d", "sequences": {"id": "s", "attempt": 1, "questions": [`, i, i, i%100)
		for q := range 5 {
			if q > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `{"id": "q%d", "user_correct": true, "user_result": "correct", "options": [`, q)
			for o := range 4 {
				if o > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, `{"id": "o%d", "checked": %t, "at": "2018-01-23T14:23:%02d.082Z", "submitted": 1}`, o, o%2 == 0, o)
			}
			b.WriteString("]}")
		}
		b.WriteString("]}}")
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkStream produces 5,000 synthetic records per iteration to a fresh
// broker and reports records/s, per compression codec.
func BenchmarkStream(b *testing.B) {
	input := syntheticAttempts(5000)
	for _, codec := range []string{"none", "snappy", "zstd"} {
		b.Run(codec, func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			benchmarkProduce(b, func(o produce.Options) (produce.Summary, error) {
				o.Compression = codec
				return produce.Stream(context.Background(), o, bytes.NewReader(input), int64(len(input)))
			})
		})
	}
}
