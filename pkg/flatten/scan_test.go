package flatten

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// specialMask finds the same first byte as a byte-by-byte check on every
// word: all single bytes in every position, and random words built from the
// bytes next to the boundaries (0x1f/0x20, '"', '\\', 0x7f/0x80, 0xff).
func TestSpecialMaskMatchesByteLoop(t *testing.T) {
	want := func(w uint64) int {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], w)
		for i, c := range b {
			if c < 0x20 || c == '"' || c == '\\' {
				return i
			}
		}
		return 8
	}
	check := func(w uint64) {
		t.Helper()
		if got := bits.TrailingZeros64(specialMask(w)) >> 3; got != want(w) {
			t.Fatalf("first special byte of %#016x at %d; want %d", w, got, want(w))
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

// plainRun stops at the first quote, backslash or control byte, at every
// position and alignment, or reports the end; it reports a non-ASCII byte
// before the stop and only there.
func TestPlainRun(t *testing.T) {
	for n := range 20 {
		for stop := range n + 1 {
			for _, c := range []byte{'"', '\\', 0x00, 0x1f} {
				for high := -1; high < n; high++ {
					d := make([]byte, n)
					for i := range d {
						d[i] = "a\x7f ~z"[i%5]
					}
					if high >= 0 {
						d[high] = 0x80 | byte(high)
					}
					if stop < n {
						d[stop] = c
					}
					for from := range stop + 1 {
						wantHigh := high >= from && high < stop
						if got, gotHigh := plainRun(d, from); got != stop || gotHigh != wantHigh {
							t.Fatalf("plainRun(%q, %d) = %d, %v; want %d, %v", d, from, got, gotHigh, stop, wantHigh)
						}
					}
				}
			}
		}
	}
}

// str takes a 36-byte string in one step only when every byte is plain: a
// quote, backslash, control or non-ASCII byte at any position is handled as
// in any other string.
func TestStrOfUUIDLength(t *testing.T) {
	for pos := range 36 {
		for _, c := range []string{"\"", "\\", "\x01", "\x80", "é"} {
			b := []byte(`"` + strings.Repeat("a", 36) + `",`)
			copy(b[1+pos:], c)
			if pos+len(c) > 36 {
				continue
			}
			var s scanner
			s.reset(b)
			got := s.str()
			switch c {
			case "\"":
				if string(got) != strings.Repeat("a", pos) || s.pos != pos+2 || s.err != nil {
					t.Errorf("%q: got %q at %d, %v", b, got, s.pos, s.err)
				}
			case "\\":
				if pos == 35 {
					break // escapes the closing quote
				}
				if s.err == nil || s.err.Reason != ReasonInvalidJSON || s.err.Offset != pos+2 {
					t.Errorf("%q: got %q, %v; want invalid escape at %d", b, got, s.err, pos+2)
				}
			case "\x01":
				if s.err == nil || s.err.Reason != ReasonInvalidJSON || s.err.Offset != pos+1 {
					t.Errorf("%q: got %q, %v; want control character at %d", b, got, s.err, pos+1)
				}
			case "\x80":
				if s.err == nil || s.err.Reason != ReasonInvalidUTF8 {
					t.Errorf("%q: got %q, %v; want invalid UTF-8", b, got, s.err)
				}
			default:
				if string(got) != string(b[1:37]) || s.pos != 38 || s.err != nil {
					t.Errorf("%q: got %q at %d, %v", b, got, s.pos, s.err)
				}
			}
		}
	}
}
