package attemptgen

import (
	"strconv"
	"testing"

	"github.com/landerd/landerd/pkg/flatten"
)

// TestAgreesWithFlatten runs generated records through the real decoder:
// good records decode, and every bad one is quarantined for the reason the
// generator expects.
func TestAgreesWithFlatten(t *testing.T) {
	for _, maxBytes := range []int{0, 4000, flatten.DefaultMaxBytes} {
		t.Run(strconv.Itoa(maxBytes), func(t *testing.T) {
			cfg := Config{Seed: 21, BadRate: 0.2, DuplicateRate: 0.02, MaxBytes: maxBytes}
			d := flatten.Decoder{MaxBytes: maxBytes}
			if maxBytes == 0 {
				d.MaxBytes = 1 << 30 // no limit on the generator's side
			}
			wants := map[flatten.Reason]int{}
			for i, r := range generate(cfg, size(5000, 1500)) {
				_, err := d.Decode(r.Value)
				if got := flatten.ReasonOf(err); got != r.Want {
					t.Fatalf("record %d: want %q, the decoder says %v\n%.200q", i, r.Want, err, r.Value)
				}
				wants[r.Want]++
			}
			if len(wants) < len(badKinds(false))+1 { // every kind but too_large, and good records
				t.Fatalf("only %d kinds of record: %v", len(wants), wants)
			}
		})
	}
}
