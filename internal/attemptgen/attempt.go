package attemptgen

import (
	"math/bits"
	"slices"
	"strconv"
)

// mutation describes how a record departs from a good attempt. The zero
// mutation yields a good attempt.
type mutation struct {
	keenID        keenIDMode
	startedAt     string // raw JSON replacing the started_at value
	sequences     string // raw JSON replacing the whole sequences value
	questions     string // raw JSON replacing sequences.questions
	countsCorrect string // raw JSON replacing sequences.counts.correct
	deep          int    // levels of an extra, deeply nested field
	pad           int    // bytes of an extra padding field
}

type keenIDMode uint8

const (
	keenIDPresent keenIDMode = iota
	keenIDAbsent
	keenIDNull
	keenIDEmpty
)

// Behaviour of the simulated learners.
const (
	certNullRate    = 0.04  // certification is null
	abandonRate     = 0.06  // the learner leaves the rest of the questions unanswered
	missedSomeRate  = 0.55  // a wrong answer to a multi-answer question is a partial one
	touchRate       = 0.08  // an option is checked, then unchecked again
	longPauseRate   = 0.02  // the learner steps away before a question
	firstAnswerMS   = 6000  // mean delay before the first answer, after 1.5 s
	thinkMS         = 9000  // mean time spent reading a question, after 1 s
	clickMS         = 1500  // mean time between two clicks, after 0.3 s
	longPauseMS     = 300e3 // mean length of a long pause, after a minute
	maxLongPauseMS  = 20 * 60e3
	sendDelayMS     = 1500 // mean delay between the last answer and the event
	noAnswerMeanMS  = 20e3 // time spent on an attempt without any answer
	testExamQuestns = 3
)

// tally accumulates what sequences.counts reports.
type tally struct {
	correct, incorrect, incomplete, submitted, unanswered, total int
	last                                                         int64 // latest `at`, in ms; 0 when none
}

type result uint8

const (
	resUnanswered result = iota
	resCorrect
	resIncorrect
	resMissedSome
)

var resultNames = [...]string{"unanswered", "correct", "incorrect", "missed_some"}

// appendAttempt appends attempt idx of course ci, changed by mu, and returns
// it with its user_exam_id. The same arguments always yield the same bytes.
func (g *Generator) appendAttempt(dst []byte, idx uint64, ci int, mu mutation) ([]byte, [36]byte) {
	r := newRNG(g.seed + idx)
	c := &g.courses[ci]
	startMS := g.startMS + r.int63n(g.spanMS)
	var userExamID [36]byte
	putUUID(&userExamID, &r)
	skill := 0.3 + 0.7*r.float()
	nq := r.weighted(questionsPerAttempt)
	if c.test {
		nq = testExamQuestns
	}
	answered := nq
	if r.chance(abandonRate) {
		answered = r.intn(nq)
	}
	certNull := r.chance(certNullRate)
	qoff := r.intn(nq)
	keenRand := r.next()

	dst = append(dst, `{"keen_timestamp":"`...)
	tsPos := len(dst)
	dst = append(dst, `","max_attempts":"1.0","started_at":`...)
	if mu.startedAt != "" {
		dst = append(dst, mu.startedAt...)
	} else {
		dst = append(dst, '"')
		dst = appendISO(dst, startMS)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"base_exam_id":"`...)
	dst = append(dst, c.baseID[:]...)
	dst = append(dst, `","user_exam_id":"`...)
	dst = append(dst, userExamID[:]...)
	dst = append(dst, `","sequences":`...)
	var tl tally
	if mu.sequences != "" {
		dst = append(dst, mu.sequences...)
	} else {
		// The test exam's sequences lead with attempt and id, as in the real data.
		if c.test {
			dst = append(dst, `{"attempt":1,"id":"`...)
			dst = append(dst, c.seqID[:]...)
			dst = append(dst, `","questions":`...)
		} else {
			dst = append(dst, `{"questions":`...)
		}
		if mu.questions != "" {
			dst = append(dst, mu.questions...)
		} else {
			t := startMS + 1500 + int64(r.expo(firstAnswerMS))
			dst = append(dst, '[')
			for k := range nq {
				if k > 0 {
					dst = append(dst, ',')
				}
				q := &c.bank[(k+qoff)%nq]
				dst, t = appendQuestion(dst, &r, q, c.test, k < answered, skill, t, &tl)
			}
			dst = append(dst, ']')
		}
		if !c.test {
			dst = append(dst, `,"attempt":1,"id":"`...)
			dst = append(dst, c.seqID[:]...)
			dst = append(dst, '"')
			dst = appendCounts(dst, &tl, mu.countsCorrect)
		}
		dst = append(dst, '}')
	}

	done := tl.last
	if done == 0 {
		done = startMS + 2000 + int64(r.expo(noAnswerMeanMS))
	}
	keenUS := done*1000 + 200_000 + int64(r.expo(sendDelayMS*1000))
	var tsBuf [24]byte
	ts := appendKeenTS(tsBuf[:0], keenUS)

	dst = append(dst, `,"keen_created_at":"`...)
	dst = append(dst, ts...)
	dst = append(dst, `","certification":`...)
	if certNull {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, `"false"`...)
	}
	switch mu.keenID {
	case keenIDPresent:
		dst = append(dst, `,"keen_id":"`...)
		dst = appendHex(dst, uint64(keenUS/1e6), 8)
		dst = appendHex(dst, keenRand, 16)
		dst = append(dst, '"')
	case keenIDNull:
		dst = append(dst, `,"keen_id":null`...)
	case keenIDEmpty:
		dst = append(dst, `,"keen_id":""`...)
	case keenIDAbsent:
	}
	dst = append(dst, `,"exam_name":"`...)
	dst = append(dst, c.name...)
	dst = append(dst, '"')
	if mu.deep > 0 {
		dst = append(dst, `,"debug":`...)
		for range mu.deep {
			dst = append(dst, '[')
		}
		for range mu.deep {
			dst = append(dst, ']')
		}
	}
	if mu.pad > 0 {
		dst = append(dst, `,"padding":"`...)
		for range mu.pad {
			dst = append(dst, 'x')
		}
		dst = append(dst, '"')
	}
	dst = append(dst, '}')
	dst = slices.Insert(dst, tsPos, ts...)
	return dst, userExamID
}

// appendQuestion appends one question as the learner answered it, starting
// at time t (ms), and returns the time of the learner's last click.
func appendQuestion(dst []byte, r *rng, q *question, test, answered bool, skill float64, t int64, tl *tally) ([]byte, int64) {
	n := len(q.opts)
	full := uint8(1)<<n - 1
	var correctMask uint8
	for i := range q.opts {
		if q.opts[i].correct {
			correctMask |= 1 << i
		}
	}
	ooff := r.intn(n)
	res := resUnanswered
	var checked, touched uint8
	if answered {
		switch {
		case r.chance(skill):
			res, checked = resCorrect, correctMask
		case q.ncorrect >= 2 && r.chance(missedSomeRate):
			res, checked = resMissedSome, pickBits(r, correctMask, 1+r.intn(q.ncorrect-1))
		default:
			res = resIncorrect
			checked = pickBits(r, full&^correctMask, 1) | subset(r, correctMask, 0.4)
		}
		if r.chance(touchRate) {
			if rest := full &^ checked; rest != 0 {
				touched = pickBits(r, rest, 1)
			}
		}
		think := 1000 + r.expo(thinkMS)
		if r.chance(longPauseRate) {
			think += 60e3 + min(r.expo(longPauseMS), maxLongPauseMS)
		}
		t += int64(think)
	}

	tl.total++
	switch res {
	case resCorrect:
		tl.correct++
	case resIncorrect:
		tl.incorrect++
	case resMissedSome:
		tl.incomplete++
	case resUnanswered:
		tl.unanswered++
	}
	if answered {
		tl.submitted++
	}

	if test {
		dst = append(dst, `{"options":[`...)
	} else {
		dst = append(dst, `{"user_incomplete":`...)
		dst = strconv.AppendBool(dst, res == resMissedSome)
		dst = append(dst, `,"user_correct":`...)
		dst = strconv.AppendBool(dst, res == resCorrect)
		dst = append(dst, `,"options":[`...)
	}
	for p := range n {
		i := (p + ooff) % n
		o := &q.opts[i]
		bit := uint8(1) << i
		if p > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"checked":`...)
		dst = strconv.AppendBool(dst, checked&bit != 0)
		if (checked|touched)&bit == 0 {
			if o.correct {
				dst = append(dst, `,"correct":true`...)
			} else if o.markedWrong {
				dst = append(dst, `,"correct":false`...)
			}
			dst = append(dst, `,"id":"`...)
			dst = append(dst, o.id[:]...)
			dst = append(dst, `"}`...)
			continue
		}
		t += 300 + int64(r.expo(clickMS))
		tl.last = max(tl.last, t)
		dst = append(dst, `,"at":"`...)
		dst = appendISO(dst, t)
		dst = append(dst, `","id":"`...)
		dst = append(dst, o.id[:]...)
		dst = append(dst, '"')
		if checked&bit != 0 {
			dst = append(dst, `,"submitted":1`...)
		}
		if o.correct {
			dst = append(dst, `,"correct":true`...)
		} else if o.markedWrong {
			dst = append(dst, `,"correct":false`...)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if test {
		dst = append(dst, `,"id":"`...)
		dst = append(dst, q.id[:]...)
		return append(dst, `"}`...), t
	}
	dst = append(dst, `,"user_submitted":`...)
	dst = strconv.AppendBool(dst, answered)
	dst = append(dst, `,"id":"`...)
	dst = append(dst, q.id[:]...)
	dst = append(dst, `","user_result":"`...)
	dst = append(dst, resultNames[res]...)
	return append(dst, `"}`...), t
}

// appendCounts appends the sequences.counts field; correct, when not empty,
// replaces the value of counts.correct.
func appendCounts(dst []byte, tl *tally, correct string) []byte {
	dst = append(dst, `,"counts":{"incomplete":`...)
	dst = strconv.AppendInt(dst, int64(tl.incomplete), 10)
	dst = append(dst, `,"submitted":`...)
	dst = strconv.AppendInt(dst, int64(tl.submitted), 10)
	dst = append(dst, `,"incorrect":`...)
	dst = strconv.AppendInt(dst, int64(tl.incorrect), 10)
	dst = append(dst, `,"all_correct":`...)
	dst = strconv.AppendBool(dst, tl.correct == tl.total)
	dst = append(dst, `,"correct":`...)
	if correct != "" {
		dst = append(dst, correct...)
	} else {
		dst = strconv.AppendInt(dst, int64(tl.correct), 10)
	}
	dst = append(dst, `,"total":`...)
	dst = strconv.AppendInt(dst, int64(tl.total), 10)
	dst = append(dst, `,"unanswered":`...)
	dst = strconv.AppendInt(dst, int64(tl.unanswered), 10)
	return append(dst, '}')
}

// pickBits returns k distinct bits chosen at random among those set in
// mask (all of them when mask has k or fewer).
func pickBits(r *rng, mask uint8, k int) uint8 {
	var out uint8
	for ; k > 0 && mask != 0; k-- {
		j := r.intn(bits.OnesCount8(mask))
		m := mask
		for range j {
			m &= m - 1 // drop the lowest set bit
		}
		bit := m & -m
		out |= bit
		mask &^= bit
	}
	return out
}

// subset returns each bit of mask with probability p.
func subset(r *rng, mask uint8, p float64) uint8 {
	var out uint8
	for m := mask; m != 0; m &= m - 1 {
		if r.chance(p) {
			out |= m & -m
		}
	}
	return out
}

// appendISO appends ms (Unix milliseconds) as "2006-01-02T15:04:05.000Z".
// Years must lie in 0..9999.
func appendISO(dst []byte, ms int64) []byte {
	days := ms / 86_400_000
	rem := ms % 86_400_000
	if rem < 0 {
		days--
		rem += 86_400_000
	}
	y, m, d := civil(days)
	dst = appendDigits(dst, y, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, m, 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, rem/3_600_000, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, rem/60_000%60, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, rem/1000%60, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, rem%1000, 3)
	return append(dst, 'Z')
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date.
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// appendKeenTS appends us (Unix microseconds) as seconds with a six-digit
// fraction, the way the keen.* fields carry it: "1516717442.735266".
func appendKeenTS(dst []byte, us int64) []byte {
	dst = strconv.AppendInt(dst, us/1e6, 10)
	dst = append(dst, '.')
	return appendDigits(dst, us%1e6, 6)
}

// appendDigits appends v, which must not be negative, zero-padded to width.
func appendDigits(dst []byte, v int64, width int) []byte {
	var b [20]byte
	i := len(b)
	for v > 0 || len(b)-i < width {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[i:]...)
}

// appendHex appends the low 4*digits bits of v as lowercase hex.
func appendHex(dst []byte, v uint64, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[v>>(4*uint(i))&0xf])
	}
	return dst
}
