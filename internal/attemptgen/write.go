package attemptgen

import (
	"fmt"
	"io"
)

// flushSize is how much the writers buffer before writing.
const flushSize = 64 << 10

// WriteLines writes n records of the stream cfg describes to w, one value
// per line, as a topic dump reads: bad records included (an empty value is
// an empty line). No generated value contains a newline.
func WriteLines(w io.Writer, cfg Config, n int) error {
	g := New(cfg)
	buf := make([]byte, 0, 2*flushSize)
	for range n {
		buf, _ = g.appendNext(buf)
		buf = append(buf, '\n')
		if len(buf) >= flushSize {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("write attempt lines: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write attempt lines: %w", err)
	}
	return nil
}

// WriteArray writes n attempts to w as one line holding a JSON array, in
// the layout of the data set's file (a space after every ',' and ':', and a
// final newline). An array cannot hold malformed elements, so BadRate and
// MaxBytes are ignored; duplicates are kept.
func WriteArray(w io.Writer, cfg Config, n int) error {
	cfg.BadRate, cfg.MaxBytes = 0, 0
	g := New(cfg)
	out := make([]byte, 0, 2*flushSize)
	out = append(out, '[')
	for i := range n {
		if i > 0 {
			out = append(out, ", "...)
		}
		g.buf, _ = g.appendNext(g.buf[:0])
		out = appendSpaced(out, g.buf)
		if len(out) >= flushSize {
			if _, err := w.Write(out); err != nil {
				return fmt.Errorf("write attempt array: %w", err)
			}
			out = out[:0]
		}
	}
	out = append(out, "]\n"...)
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write attempt array: %w", err)
	}
	return nil
}

// appendSpaced appends the compact JSON src with a space after each ',' and
// ':' that is not inside a string.
func appendSpaced(dst, src []byte) []byte {
	inString, escaped := false, false
	from := 0
	for i, c := range src {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ',' || c == ':':
			dst = append(dst, src[from:i+1]...)
			dst = append(dst, ' ')
			from = i + 1
		}
	}
	return append(dst, src[from:]...)
}
