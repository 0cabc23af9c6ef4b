package pages

import "encoding/binary"

// rleEncoder writes unsigned values of a fixed bit width in Parquet's
// RLE/bit-packing hybrid encoding: definition and repetition levels, and
// dictionary indices. It decides between runs the way arrow-go's encoder
// does, so that pages come out byte for byte as arrow-go writes them:
//   - values are taken in groups of eight;
//   - a group whose eight values equal the value before them (counted
//     from the group's start) begins or extends a repeated run, which
//     lasts until a different value arrives;
//   - every other group is bit-packed into the open literal run, which is
//     closed after 63 groups (its indicator byte counts groups in six
//     bits) or when a repeated run begins;
//   - at the end, values that are all one value and follow no literal run
//     become a repeated run, whatever their number; otherwise the last
//     group is padded with zeros and bit-packed.
type rleEncoder struct {
	out   []byte
	width int       // bits per value
	group [8]uint64 // values not yet written, of the current group
	n     int       // values in group
	cur   uint64    // the value of the current run of equal values
	rep   int       // length of the current run of equal values
	lit   int       // values in the open literal run
	ind   int       // position in out of the open literal run's indicator, or -1
}

// reset starts a new encoding of width-bit values appended to out.
func (e *rleEncoder) reset(width int, out []byte) {
	*e = rleEncoder{out: out, width: width, ind: -1}
}

// put encodes v.
func (e *rleEncoder) put(v uint64) {
	if v == e.cur {
		e.rep++
		if e.rep > 8 {
			return // the repeated run goes on
		}
	} else {
		if e.rep >= 8 {
			e.flushRepeated()
		}
		e.rep, e.cur = 1, v
	}
	e.group[e.n] = v
	e.n++
	if e.n == 8 {
		e.flushGroup()
	}
}

// putLevels encodes levels.
func (e *rleEncoder) putLevels(levels []int16) { putAll(e, levels) }

// putIndices encodes dictionary indices.
func (e *rleEncoder) putIndices(ids []int32) { putAll(e, ids) }

// putAll encodes vals as put would one by one, with two shortcuts: a
// long run of one value is counted at once, and a group of eight values
// that are not all equal, starting where no group is pending, is written
// as a literal group at once (put would decide the same: such a group
// cannot complete a run of eight).
func putAll[T int16 | int32](e *rleEncoder, vals []T) {
	for i := 0; i < len(vals); {
		v := uint64(vals[i])
		if e.rep >= 8 && v == e.cur {
			j := i + 1
			for j < len(vals) && vals[j] == vals[i] {
				j++
			}
			e.rep += j - i
			i = j
			continue
		}
		if e.n == 0 && e.rep < 8 && i+8 <= len(vals) {
			g := vals[i : i+8]
			if g[1] != g[0] || g[2] != g[0] || g[3] != g[0] || g[4] != g[0] ||
				g[5] != g[0] || g[6] != g[0] || g[7] != g[0] {
				for k, x := range g {
					e.group[k] = uint64(x)
				}
				e.n, e.cur, e.rep = 8, uint64(g[7]), 0
				e.flushGroup()
				i += 8
				continue
			}
		}
		e.put(v)
		i++
	}
}

// flushGroup decides what a full group of eight values is.
func (e *rleEncoder) flushGroup() {
	if e.rep >= 8 {
		// The group is the start of a repeated run: it is written when
		// the run ends.
		e.n = 0
		if e.lit != 0 {
			e.closeLiteral()
		}
		return
	}
	e.lit += e.n
	e.writeGroup()
	if e.lit/8+1 >= 1<<6 {
		e.closeLiteral()
	}
	e.rep = 0
}

// writeGroup bit-packs the buffered group into the open literal run,
// opening one if needed.
func (e *rleEncoder) writeGroup() {
	if e.ind < 0 {
		e.ind = len(e.out)
		e.out = append(e.out, 0)
	}
	if e.n == 0 {
		return
	}
	// Eight values of width bits are exactly width bytes, least
	// significant bit first.
	if e.width <= 8 {
		var acc uint64
		for k, v := range e.group {
			acc |= v << (k * e.width)
		}
		e.out = binary.LittleEndian.AppendUint64(e.out, acc)[:len(e.out)+e.width]
		e.n = 0
		return
	}
	// Fewer than 8 bits are pending when a value is added, so a value of
	// up to 56 bits fits the accumulator.
	var acc uint64
	bits := 0
	for _, v := range e.group[:e.n] {
		acc |= v << bits
		bits += e.width
		for bits >= 8 {
			e.out = append(e.out, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	e.n = 0
}

// closeLiteral writes the open literal run's indicator: its number of
// groups and the literal flag.
func (e *rleEncoder) closeLiteral() {
	e.out[e.ind] = byte(e.lit/8)<<1 | 1
	e.ind, e.lit = -1, 0
}

// flushRepeated writes the current run as a repeated run.
func (e *rleEncoder) flushRepeated() {
	e.out = binary.AppendUvarint(e.out, uint64(e.rep)<<1)
	for b := 0; b < (e.width+7)/8; b++ {
		e.out = append(e.out, byte(e.cur>>(8*b)))
	}
	e.rep, e.n = 0, 0
}

// finish writes what is buffered and returns the encoding.
func (e *rleEncoder) finish() []byte {
	if e.lit > 0 || e.rep > 0 || e.n > 0 {
		allRep := e.lit == 0 && (e.rep == e.n || e.n == 0)
		if e.rep > 0 && allRep {
			e.flushRepeated()
		} else {
			for e.n != 0 && e.n < 8 {
				e.group[e.n] = 0
				e.n++
			}
			e.lit += e.n
			e.writeGroup()
			e.closeLiteral()
			e.rep = 0
		}
	}
	return e.out
}
