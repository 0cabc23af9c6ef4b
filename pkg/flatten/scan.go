package flatten

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply objects and arrays may nest in a message. The
// attempt schema needs 6 levels; anything past MaxDepth is quarantined as
// too_deep instead of being walked.
const MaxDepth = 64

// scanner is a strict RFC 8259 JSON reader over one message. It keeps the
// first problem it meets in err ("sticky"): once err is set every method
// returns a zero value and the walk unwinds on its own.
//
// Objects and arrays are walked with an explicit loop:
//
//	first := true
//	for key, ok := s.member(&first); ok; key, ok = s.member(&first) { ... consume the value ... }
//	for s.next(&first, ']') { ... consume the element ... }
type scanner struct {
	data    []byte
	pos     int
	depth   int
	err     *InvalidError
	scratch []byte // unescaped strings; reset per message
}

func (s *scanner) reset(data []byte) {
	s.data, s.pos, s.depth, s.err = data, 0, 0, nil
	s.scratch = s.scratch[:0]
}

func (s *scanner) failed() bool { return s.err != nil }

// fail records the first problem; field is resolved lazily by the caller.
func (s *scanner) fail(r Reason, format string, args ...any) {
	if s.err == nil {
		s.err = &InvalidError{Reason: r, Offset: s.pos, Msg: fmt.Sprintf(format, args...)}
	}
}

func (s *scanner) syntax(format string, args ...any) { s.fail(ReasonInvalidJSON, format, args...) }

// badUTF8 fails on a string (content from start) that is not valid UTF-8.
// Every byte outside strings must be ASCII to pass the grammar, so only
// strings are checked; Decode then validates the whole message to report
// the offset of the first bad byte.
func (s *scanner) badUTF8(start int) {
	s.pos = start
	s.fail(ReasonInvalidUTF8, "invalid UTF-8 byte sequence")
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// highs has the high bit of each byte of a word set.
const highs = 0x8080808080808080

// peek returns the next non-space byte without consuming it, or 0 at the end.
// Compact JSON has no white space between tokens, so the byte at the cursor
// is checked first; peek stays small enough to be inlined.
func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		if c := s.data[s.pos]; c > ' ' {
			return c
		}
	}
	return s.peekSpace()
}

// peekSpace is peek's slow path: white space (or the end) at the cursor.
func (s *scanner) peekSpace() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) enter() bool {
	s.depth++
	if s.depth > MaxDepth {
		s.fail(ReasonTooDeep, "nesting deeper than %d levels", MaxDepth)
		return false
	}
	return true
}

// next advances to the next member of an object (close '}') or element of
// an array (close ']') whose opening bracket was consumed. It reports false
// at the closing bracket (consumed) or on error.
func (s *scanner) next(first *bool, close byte) bool {
	if s.err != nil {
		return false
	}
	c := s.peek()
	if c == close {
		s.pos++
		s.depth--
		return false
	}
	if !*first {
		if c != ',' {
			s.noComma(c, close)
			return false
		}
		s.pos++
		if s.pos < len(s.data) && s.data[s.pos] == ' ' {
			s.pos++ // the one space pretty printers put after a comma
		}
		c = s.peek()
	}
	*first = false
	if c == 0 {
		s.syntax("unexpected end of input")
		return false
	}
	return true
}

// noComma fails on c, found where a comma or the closing bracket belongs.
func (s *scanner) noComma(c, close byte) {
	if c == 0 {
		s.syntax("unexpected end of input")
	} else {
		s.syntax("expected ',' or '%c', found %q", close, c)
	}
}

// member advances to the next member of an object whose opening brace was
// consumed and reads its key and the colon after it. It reports false at
// the closing brace (consumed) or on error, except for a malformed key: that
// comes back as a nil key with ok set, so that the caller names the object
// the key belongs to. It is next and the key read in one step.
func (s *scanner) member(first *bool) (key []byte, ok bool) {
	if s.err != nil {
		return nil, false
	}
	c := s.peek()
	if c == '}' {
		s.pos++
		s.depth--
		return nil, false
	}
	if !*first {
		if c != ',' {
			s.noComma(c, '}')
			return nil, false
		}
		s.pos++
		if s.pos < len(s.data) && s.data[s.pos] == ' ' {
			s.pos++ // the one space pretty printers put after a comma
		}
		c = s.peek()
	}
	*first = false
	if c != '"' {
		if c == 0 {
			s.syntax("unexpected end of input")
			return nil, false
		}
		s.syntax("expected a string key")
		return nil, true
	}
	// Keys are short and plain: take the fast way when the first byte
	// needing attention is the closing quote, and leave escapes, control
	// and non-ASCII bytes to str.
	d, start := s.data, s.pos+1
	if i, high := plainRun(d, start); i < len(d) && d[i] == '"' && !high {
		if i+2 < len(d) && d[i+1] == ':' {
			// Step over the colon and the one space that pretty
			// printers put after it: the value's peek finds no space.
			s.pos = i + 2
			if d[i+2] == ' ' {
				s.pos = i + 3
			}
			return d[start:i], true
		}
		s.pos = i + 1
		return s.colon(d[start:i]), true
	}
	return s.colon(s.str()), true
}

// colon consumes the colon after key k.
func (s *scanner) colon(k []byte) []byte {
	if s.peek() != ':' {
		s.syntax("expected ':' after key")
		return nil
	}
	s.pos++
	return k
}

// str reads a JSON string at the cursor (which is at the opening quote) and
// returns its unescaped bytes.
func (s *scanner) str() []byte {
	d, start := s.data, s.pos+1
	// Ids are UUIDs of 36 bytes: check those as five words at once.
	if end := start + 36; end < len(d) && d[end] == '"' {
		w0, w1 := binary.LittleEndian.Uint64(d[start:]), binary.LittleEndian.Uint64(d[start+8:])
		w2, w3 := binary.LittleEndian.Uint64(d[start+16:]), binary.LittleEndian.Uint64(d[start+24:])
		w4 := binary.LittleEndian.Uint64(d[end-8:])
		if specialMask(w0)|specialMask(w1)|specialMask(w2)|specialMask(w3)|specialMask(w4)|(w0|w1|w2|w3|w4)&highs == 0 {
			s.pos = end + 1
			return d[start:end]
		}
	}
	i, high := plainRun(d, start)
	if i < len(d) {
		switch c := d[i]; {
		case c == '"':
			if high && !utf8.Valid(d[start:i]) {
				s.badUTF8(start)
				return nil
			}
			s.pos = i + 1
			return d[start:i]
		case c == '\\':
			return s.strEscaped(start, i)
		default:
			s.pos = i
			s.syntax("control character in string")
			return nil
		}
	}
	s.pos = len(d)
	s.syntax("unexpected end of input in string")
	return nil
}

// plainRun returns the index of the first quote, backslash or control byte
// in d at or after i, or len(d) when there is none, and whether any byte
// before it is not ASCII. It looks at eight bytes at a time: most strings
// (ids, timestamps) are plain ASCII of 20 to 40 bytes, and keys are shorter
// than eight.
func plainRun(d []byte, i int) (end int, high bool) {
	var seen uint64
	for i+8 <= len(d) {
		w := binary.LittleEndian.Uint64(d[i:])
		if m := specialMask(w); m != 0 {
			n := bits.TrailingZeros64(m) &^ 7 // bits of the bytes before the mark
			seen |= w & (1<<n - 1)
			return i + n>>3, seen&highs != 0
		}
		seen |= w
		i += 8
	}
	for ; i < len(d); i++ {
		c := d[i]
		if !plain[c] {
			break
		}
		seen |= uint64(c)
	}
	return i, seen&highs != 0
}

// specialMask marks the bytes of w (little endian) that are a quote, a
// backslash or a control character with their high bit. A mark may be
// false only above a true one (a borrow can only start at a byte that
// matches), so the lowest mark is exact: it finds the first such byte.
func specialMask(w uint64) uint64 {
	const ones = 0x0101010101010101
	quote := w ^ (ones * '"')
	backslash := w ^ (ones * '\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (w-ones*0x20)&^w) & highs
}

// plain marks the bytes that need no attention inside a string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strEscaped finishes a string that holds escapes, unescaping into scratch.
func (s *scanner) strEscaped(start, i int) []byte {
	out := len(s.scratch)
	s.scratch = append(s.scratch, s.data[start:i]...)
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			if !utf8.Valid(s.data[start:i]) {
				s.badUTF8(start)
				return nil
			}
			s.pos = i + 1
			return s.scratch[out:len(s.scratch):len(s.scratch)]
		case c < 0x20:
			s.pos = i
			s.syntax("control character in string")
			return nil
		case c != '\\':
			s.scratch = append(s.scratch, c)
			i++
			continue
		}
		if i+1 >= len(s.data) {
			break
		}
		i++
		switch s.data[i] {
		case '"', '\\', '/':
			s.scratch = append(s.scratch, s.data[i])
		case 'b':
			s.scratch = append(s.scratch, '\b')
		case 'f':
			s.scratch = append(s.scratch, '\f')
		case 'n':
			s.scratch = append(s.scratch, '\n')
		case 'r':
			s.scratch = append(s.scratch, '\r')
		case 't':
			s.scratch = append(s.scratch, '\t')
		case 'u':
			r, n := s.hex4(i + 1)
			if n < 0 {
				return nil
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, n2 := rune(-1), -1
				if i+2 < len(s.data) && s.data[i+1] == '\\' && s.data[i+2] == 'u' {
					r2, n2 = s.hex4(i + 3)
					if n2 < 0 {
						return nil
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError // a lone surrogate, as encoding/json does
				}
			}
			s.scratch = utf8.AppendRune(s.scratch, r)
		default:
			s.pos = i
			s.syntax("invalid escape '\\%c' in string", s.data[i])
			return nil
		}
		i++
	}
	s.pos = len(s.data)
	s.syntax("unexpected end of input in string")
	return nil
}

// hex4 parses four hex digits at i; n is -1 on error.
func (s *scanner) hex4(i int) (rune, int) {
	if i+4 > len(s.data) {
		s.pos = len(s.data)
		s.syntax("unexpected end of input in \\u escape")
		return 0, -1
	}
	var r rune
	for _, c := range s.data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			s.pos = i
			s.syntax("invalid \\u escape")
			return 0, -1
		}
	}
	return r, 4
}

// number reads a JSON number at the cursor and returns its literal text.
func (s *scanner) number() []byte {
	start, i, d := s.pos, s.pos, s.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		s.syntax("invalid number")
		return nil
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.pos = i
			s.syntax("invalid number: no digits after '.'")
			return nil
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.pos = i
			s.syntax("invalid number: no digits in exponent")
			return nil
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.pos = i
	return d[start:i]
}

// literal consumes the literal word (true, false or null) at the cursor.
func (s *scanner) literal(word string) bool {
	if s.at(word) {
		return true
	}
	s.syntax("invalid literal")
	return false
}

// at consumes word if the bytes at the cursor spell it. It is inlined, so
// with a constant word the comparison is a load and a compare or two.
func (s *scanner) at(word string) bool {
	if p := s.pos; len(s.data)-p >= len(word) && string(s.data[p:p+len(word)]) == word {
		s.pos = p + len(word)
		return true
	}
	return false
}

// skip consumes one JSON value of any type, checking its syntax.
func (s *scanner) skip() {
	switch c := s.peek(); {
	case c == '{':
		s.pos++
		if !s.enter() {
			return
		}
		first := true
		for _, ok := s.member(&first); ok; _, ok = s.member(&first) {
			s.skip()
		}
	case c == '[':
		s.pos++
		if !s.enter() {
			return
		}
		first := true
		for s.next(&first, ']') {
			s.skip()
		}
	case c == '"':
		s.str()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		s.number()
	case c == 0:
		s.syntax("unexpected end of input")
	default:
		s.syntax("unexpected character %q", c)
	}
}

// end checks that nothing but white space follows the top-level value.
func (s *scanner) end() {
	s.ws()
	if s.err == nil && s.pos < len(s.data) {
		s.syntax("unexpected data after the top-level value")
	}
}

// checkSyntax reports the syntax problem of data, if any: the reason a
// semantically invalid message gets when it is not even well-formed JSON.
func checkSyntax(data []byte) *InvalidError {
	var s scanner
	s.reset(data)
	s.skip()
	s.end()
	return s.err
}
