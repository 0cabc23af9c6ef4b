package pages

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// decodeHybrid decodes n values of Parquet's RLE/bit-packing hybrid
// encoding, following the format's definition.
func decodeHybrid(t *testing.T, b []byte, width, n int) []uint64 {
	t.Helper()
	var out []uint64
	for len(out) < n {
		h, k := binary.Uvarint(b)
		if k <= 0 {
			t.Fatalf("bad run header after %d values", len(out))
		}
		b = b[k:]
		if h&1 == 0 { // repeated run
			nb := (width + 7) / 8
			var v uint64
			for i := range nb {
				v |= uint64(b[i]) << (8 * i)
			}
			b = b[nb:]
			for range h >> 1 {
				out = append(out, v)
			}
			continue
		}
		groups := int(h >> 1)
		bits := b[:groups*width]
		b = b[groups*width:]
		for i := range groups * 8 {
			var v uint64
			for j := range width {
				bit := i*width + j
				v |= uint64(bits[bit/8]>>(bit%8)&1) << j
			}
			out = append(out, v)
		}
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left after %d values", len(b), n)
	}
	return out[:n]
}

// The encoder's shortcuts write what value-by-value encoding writes, and
// that decodes to the values, for runs, literals and their mixes.
func TestRLEHybrid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := map[string]func(n, max int) []int32{
		"constant": func(n, max int) []int32 { return slices.Repeat([]int32{int32(max)}, n) },
		"random": func(n, max int) []int32 {
			v := make([]int32, n)
			for i := range v {
				v[i] = r.Int32N(int32(max) + 1)
			}
			return v
		},
		"runs": func(n, max int) []int32 {
			var v []int32
			for len(v) < n {
				v = append(v, slices.Repeat([]int32{r.Int32N(int32(max) + 1)}, 1+r.IntN(20))...)
			}
			return v[:n]
		},
		"list-repetition": func(n, _ int) []int32 { // 0 then 1s, as repetition levels
			var v []int32
			for len(v) < n {
				v = append(v, 0)
				v = append(v, slices.Repeat([]int32{1}, r.IntN(6))...)
			}
			return v[:n]
		},
	}
	for name, g := range gen {
		for _, width := range []int{1, 2, 3, 8, 11, 20} {
			max := 1<<width - 1
			for _, n := range []int{1, 5, 8, 9, 64, 511, 512, 513, 4000} {
				vals := g(n, max)
				if name == "list-repetition" && width != 1 {
					continue
				}
				var one rleEncoder
				one.reset(width, nil)
				for _, v := range vals {
					one.put(uint64(v))
				}
				want := one.finish()
				var all rleEncoder
				all.reset(width, nil)
				all.putIndices(vals)
				got := all.finish()
				if !bytes.Equal(got, want) {
					t.Fatalf("%s width %d n %d: shortcuts wrote %x, value by value %x", name, width, n, got, want)
				}
				dec := decodeHybrid(t, got, width, n)
				for i, v := range vals {
					if dec[i] != uint64(v) {
						t.Fatalf("%s width %d n %d: value %d decodes as %d, want %d", name, width, n, i, dec[i], v)
					}
				}
			}
		}
	}
}

// A run of one value is one repeated run, whatever its length, and a
// group of eight distinct values is one literal run.
func TestRLEHybridRuns(t *testing.T) {
	var e rleEncoder
	e.reset(1, nil)
	e.putLevels(slices.Repeat([]int16{1}, 3))
	if got := e.finish(); !bytes.Equal(got, []byte{3 << 1, 1}) {
		t.Fatalf("three ones: %x", got)
	}
	e.reset(3, nil)
	e.putLevels([]int16{0, 1, 2, 3, 4, 5, 6, 7})
	// Indicator: one group, literal; then 8 values of 3 bits, LSB first.
	if got := e.finish(); !bytes.Equal(got, []byte{1<<1 | 1, 0x88, 0xc6, 0xfa}) {
		t.Fatalf("0..7: %x", got)
	}
}
