package produce

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/valyala/fastjson"
)

// InputError reports input that is not valid JSON of the expected shape. In
// JSON-lines input Line is the 1-based line number; in array input Line is 0
// and Offset is the byte offset, in the uncompressed stream, where the
// problem was found.
type InputError struct {
	Line   int64
	Offset int64
	Err    error
}

// Error implements error, naming the line or byte offset of the problem.
func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("byte offset %d: %v", e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// ErrRecordTooLarge is wrapped by an InputError for a record over the limit.
var ErrRecordTooLarge = errors.New("record too large")

// Format is the detected layout of the input.
type Format int

// The input formats.
const (
	// FormatEmpty is input holding nothing but whitespace.
	FormatEmpty Format = iota
	// FormatArray is one JSON array whose elements are the records.
	FormatArray
	// FormatLines is JSON lines: one record per non-blank line.
	FormatLines
)

// String names the format.
func (f Format) String() string {
	switch f {
	case FormatArray:
		return "json array"
	case FormatLines:
		return "json lines"
	default:
		return "empty"
	}
}

const readBufferSize = 256 << 10

// message is one record to produce.
type message struct {
	key   []byte // nil for a null key
	value []byte // compact JSON
}

// source yields the records of the input in order. next returns io.EOF after
// the last record, an *InputError for bad input, or a read error.
type source interface {
	next() (message, error)
	format() Format
}

// openSource detects compression and layout and returns a source over r.
func openSource(r io.Reader, maxRecord int, skipInvalid bool) (source, error) {
	br := bufio.NewReaderSize(r, readBufferSize)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read input: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip input: %w", err)
		}
		br = bufio.NewReaderSize(zr, readBufferSize)
	}

	// Find the first non-space byte, consuming only the spaces before it.
	var skipped int64
	for {
		b, err := br.Peek(1)
		if errors.Is(err, io.EOF) {
			return emptySource{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		if !isSpace(b[0]) {
			if b[0] == '[' {
				return newArraySource(br, skipped, maxRecord)
			}
			return &linesSource{r: br, maxRecord: maxRecord, skipInvalid: skipInvalid}, nil
		}
		if _, err := br.ReadByte(); err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		skipped++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

type emptySource struct{}

func (emptySource) next() (message, error) { return message{}, io.EOF }
func (emptySource) format() Format         { return FormatEmpty }

// arraySource streams the elements of one JSON array.
type arraySource struct {
	dec       *json.Decoder
	base      int64 // bytes consumed before the decoder started
	maxRecord int
	raw       json.RawMessage // reused between elements
	keys      fastjson.Parser
	done      bool
}

func newArraySource(r io.Reader, base int64, maxRecord int) (*arraySource, error) {
	s := &arraySource{dec: json.NewDecoder(r), base: base, maxRecord: maxRecord}
	tok, err := s.dec.Token()
	if err != nil {
		return nil, s.inputError(err)
	}
	if tok != json.Delim('[') { // openSource saw '[', so this is a bug
		return nil, &InputError{Offset: base, Err: fmt.Errorf("want '[', got %v", tok)}
	}
	return s, nil
}

func (s *arraySource) format() Format { return FormatArray }

func (s *arraySource) next() (message, error) {
	if s.done {
		return message{}, io.EOF
	}
	if !s.dec.More() {
		// Consume the closing bracket, then insist on nothing but
		// whitespace after it.
		if _, err := s.dec.Token(); err != nil {
			return message{}, s.inputError(err)
		}
		end := s.base + s.dec.InputOffset()
		if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
			if err == nil || isSyntax(err) {
				return message{}, &InputError{Offset: end, Err: errors.New("unexpected data after the array")}
			}
			return message{}, s.inputError(err)
		}
		s.done = true
		return message{}, io.EOF
	}
	s.raw = s.raw[:0]
	if err := s.dec.Decode(&s.raw); err != nil {
		return message{}, s.inputError(err)
	}
	start := s.base + s.dec.InputOffset() - int64(len(s.raw))
	value := compactValid(s.raw) // the decoder has validated the element
	if len(value) > s.maxRecord {
		return message{}, &InputError{Offset: start, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(value), s.maxRecord)}
	}
	return message{key: keyOf(&s.keys, value), value: value}, nil
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// inputError turns a decoder error into an InputError at the offset of the
// offending byte; errors of the underlying reader pass through as read
// errors.
//
// The offsets in the decoder's own syntax errors are not positions in the
// stream, so we locate the error ourselves: after a failed read the decoder
// stands at the start of the value it could not read, and its buffer holds
// the bytes up to the error.
func (s *arraySource) inputError(err error) error {
	if !isSyntax(err) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read input: %w", err)
	}
	start := s.base + s.dec.InputOffset()
	rest, rerr := io.ReadAll(s.dec.Buffered())
	if rerr != nil { // reading a bytes.Reader does not fail
		return fmt.Errorf("read input: %w", rerr)
	}
	if !isSyntax(err) {
		return &InputError{Offset: start + int64(len(rest)), Err: fmt.Errorf("unexpected end of input: %w", io.ErrUnexpectedEOF)}
	}
	var v json.RawMessage
	if json.NewDecoder(bytes.NewReader(rest)).Decode(&v) == nil {
		// The value itself is fine: what is wrong is that it stands
		// where it does (a missing comma).
		lead := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
		return &InputError{Offset: start + int64(lead), Err: err}
	}
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(rest, &v), &se) {
		// Unmarshal counts the offending byte in its offset.
		return &InputError{Offset: start + se.Offset - 1, Err: err}
	}
	return &InputError{Offset: start, Err: err}
}

// linesSource yields one record per non-blank line.
type linesSource struct {
	r           *bufio.Reader
	maxRecord   int
	skipInvalid bool
	line        int64
	skipped     int64
	buf         []byte
	keys        fastjson.Parser
}

func (s *linesSource) format() Format { return FormatLines }

func (s *linesSource) next() (message, error) {
	for {
		line, tooLong, err := s.readLine()
		if err != nil {
			return message{}, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 && !tooLong {
			continue
		}
		var bad error
		var value []byte
		if tooLong {
			bad = fmt.Errorf("%w: over %d bytes", ErrRecordTooLarge, s.maxRecord)
		} else if value, err = compact(line); err != nil {
			bad = fmt.Errorf("invalid JSON: %w", err)
		} else if len(value) > s.maxRecord {
			bad = fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(value), s.maxRecord)
		}
		if bad != nil {
			if s.skipInvalid {
				s.skipped++
				continue
			}
			return message{}, &InputError{Line: s.line, Err: bad}
		}
		return message{key: keyOf(&s.keys, value), value: value}, nil
	}
}

// readLine returns the next line without its newline, or io.EOF at the end.
// A line longer than the record limit is read to its end and reported as
// tooLong, without being kept in memory.
func (s *linesSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		frag, err := s.r.ReadSlice('\n')
		if !tooLong {
			if len(s.buf)+len(frag) > s.maxRecord+2 { // room for "\r\n"
				tooLong = true
				s.buf = s.buf[:0]
			} else {
				s.buf = append(s.buf, frag...)
			}
		}
		switch {
		case err == nil:
			s.line++
			return s.buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(s.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			s.line++
			return s.buf, tooLong, nil
		default:
			return nil, false, fmt.Errorf("read input: line %d: %w", s.line+1, err)
		}
	}
}

// compact returns src without insignificant whitespace, in a new slice of
// exactly the right capacity for a message value.
func compact(src []byte) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, len(src)))
	if err := json.Compact(buf, src); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// compactValid is json.Compact for input already known to be valid JSON, in
// a single pass without a parser: it drops whitespace outside strings. It
// returns a new slice of exactly the right length.
func compactValid(src []byte) []byte {
	var s jsonStrings
	n := 0
	for _, c := range src {
		if s.inString(c) || !isSpace(c) {
			n++
		}
	}
	dst := make([]byte, 0, n)
	if n == len(src) {
		return append(dst, src...)
	}
	s = jsonStrings{}
	for _, c := range src {
		if s.inString(c) || !isSpace(c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// jsonStrings follows valid JSON byte by byte and tells which bytes belong
// to a string token (its quotes included).
type jsonStrings struct{ in, escaped bool }

func (s *jsonStrings) inString(c byte) bool {
	switch {
	case !s.in:
		s.in = c == '"'
		return s.in
	case s.escaped:
		s.escaped = false
	case c == '\\':
		s.escaped = true
	case c == '"':
		s.in = false
	}
	return true
}

// keyOf returns the message key for a record: its top-level user_exam_id
// (unquoted when a string, as written otherwise), or nil when the record is
// not an object or has no non-null user_exam_id.
func keyOf(p *fastjson.Parser, value []byte) []byte {
	if len(value) == 0 || value[0] != '{' {
		return nil
	}
	v, err := p.ParseBytes(value)
	if err != nil {
		return nil
	}
	id := v.Get("user_exam_id")
	if id == nil {
		return nil
	}
	switch id.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeString:
		// The parser reuses its memory; the key must outlive it.
		return bytes.Clone(id.GetStringBytes())
	default:
		return id.MarshalTo(nil)
	}
}
