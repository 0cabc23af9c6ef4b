package attemptgen

import "github.com/landerd/landerd/pkg/flatten"

// badKinds lists the reasons bad records are drawn from; too_large only
// when the consumer has a size limit. The tenant reasons are not among
// them: they depend on a record's header or topic, not its value.
func badKinds(withTooLarge bool) []flatten.Reason {
	out := make([]flatten.Reason, 0, len(flatten.Reasons))
	for _, r := range flatten.Reasons {
		if r == flatten.ReasonTenantMissing || r == flatten.ReasonTenantUnknown {
			continue
		}
		if r != flatten.ReasonTooLarge || withTooLarge {
			out = append(out, r)
		}
	}
	return out
}

// deepLevels is how deeply the extra field of a too_deep record nests,
// far beyond flatten.MaxDepth.
const deepLevels = 400

// Latin-1 and stray bytes that make a string invalid UTF-8 in place of an
// ASCII character: an e-acute, a lone continuation byte, a lead byte
// without its continuation, and a byte that never occurs in UTF-8.
var badUTF8Bytes = [...]byte{0xe9, 0x80, 0xc3, 0xff}

// appendBad appends a record that a correct consumer quarantines, made from
// attempt idx, and returns its metadata with the expected reason.
func (g *Generator) appendBad(dst []byte, idx uint64) ([]byte, meta) {
	m := meta{want: g.kinds[g.ctl.intn(len(g.kinds))], hasKey: true}
	variant := g.ctl.intn(6)
	ci := g.ctl.intn(len(titles)) // never the test exam: it has no counts
	start := len(dst)
	var mu mutation
	switch m.want {
	case flatten.ReasonEmpty:
		// A tombstone (nil) or a zero-length value, keyed like an attempt.
		putUUID(&m.key, &g.ctl)
		m.nilValue = variant%2 == 0
		return dst, m
	case flatten.ReasonNotObject:
		if variant%2 == 0 {
			// A bare number, e.g. a keen timestamp sent on its own.
			m.hasKey = false
			return appendKeenTS(dst, g.startMS*1000+g.ctl.int63n(g.spanMS*1000)), m
		}
		// The attempt wrapped in an array, as in the data set's file.
		dst = append(dst, '[')
		dst, m.key = g.appendAttempt(dst, idx, ci, mu)
		dst = append(dst, ']')
		return g.checkSize(dst, start, m)
	case flatten.ReasonTooLarge:
		mu.pad = g.cfg.MaxBytes + 1 + g.ctl.intn(256)
	case flatten.ReasonTooDeep:
		mu.deep = deepLevels
	case flatten.ReasonMissingField:
		mu.keenID = [...]keenIDMode{keenIDAbsent, keenIDNull, keenIDEmpty}[variant%3]
	case flatten.ReasonInvalidType:
		switch variant % 3 {
		case 0:
			mu.sequences = `"x"`
		case 1:
			mu.countsCorrect = "true"
		case 2:
			mu.questions = "{}"
		}
	case flatten.ReasonInvalidValue:
		if variant%2 == 0 {
			mu.startedAt = `"yesterday"`
		} else {
			mu.countsCorrect = `"three"`
		}
	}
	dst, m.key = g.appendAttempt(dst, idx, ci, mu)
	switch m.want {
	case flatten.ReasonInvalidUTF8:
		// Replace one character of exam_name, the last field.
		name := g.courses[ci].name
		pos := len(dst) - 2 - len(name) + g.ctl.intn(len(name))
		dst[pos] = badUTF8Bytes[variant%len(badUTF8Bytes)]
	case flatten.ReasonInvalidJSON:
		// Cut the record short; at least its opening brace remains.
		dst = dst[:start+1+g.ctl.intn(len(dst)-start-1)]
	}
	return g.checkSize(dst, start, m)
}

// checkSize marks a record longer than Config.MaxBytes as too_large: a
// consumer rejects it for its size before looking at its content.
func (g *Generator) checkSize(dst []byte, start int, m meta) ([]byte, meta) {
	if g.cfg.MaxBytes > 0 && len(dst)-start > g.cfg.MaxBytes {
		m.want = flatten.ReasonTooLarge
	}
	return dst, m
}
