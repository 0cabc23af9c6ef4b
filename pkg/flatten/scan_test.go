package flatten

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// special agrees with a byte-by-byte check on every word: all single
// bytes in every position, and random words built from the bytes next to
// the boundaries (0x1f/0x20, '"', '\\', 0x7f/0x80, 0xff).
func TestSpecialMatchesByteLoop(t *testing.T) {
	want := func(w uint64) bool {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], w)
		for _, c := range b {
			if c < 0x20 || c == '"' || c == '\\' {
				return true
			}
		}
		return false
	}
	check := func(w uint64) {
		t.Helper()
		if got := special(w); got != want(w) {
			t.Fatalf("special(%#016x) = %v; want %v", w, got, want(w))
		}
	}
	for pos := range 8 {
		for c := range 256 {
			check(0x6161616161616161&^(0xff<<(8*pos)) | uint64(c)<<(8*pos))
		}
	}
	edge := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7f, 0x80, 0x81, 0xa2, 0xdc, 0xfe, 0xff, 'a'}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		var b [8]byte
		for i := range b {
			b[i] = edge[rng.IntN(len(edge))]
		}
		check(binary.LittleEndian.Uint64(b[:]))
	}
}
