package flatten

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// DefaultMaxBytes is the largest message a Decoder accepts by default; larger
// ones are quarantined as too_large. It matches Kafka's default maximum
// message size.
const DefaultMaxBytes = 1 << 20

// Decoder reads messages into Attempts. The zero value is ready to use; a
// Decoder reuses its memory from one message to the next and is not safe for
// concurrent use.
type Decoder struct {
	// MaxBytes is the largest message accepted; 0 means DefaultMaxBytes.
	MaxBytes int

	s         scanner
	a         Attempt
	questions []Question
	options   []Option
	optRange  [][2]int // options of each question, as [lo, hi) into options
	unknown   []byte   // the attempt's unknown fields, as JSON object members
	qUnknown  []byte   // every question's unknown fields, back to back
	numBuf    []byte

	// where the walk is, to name the field of an error
	level  level
	qi, oi int
}

type level uint8

const (
	atTop level = iota
	atSequences
	atCounts
	atQuestion
	atOption
)

// Decode reads one message. It returns the decoded attempt, valid until the
// next call, or an *InvalidError saying why the message cannot be flattened.
func (d *Decoder) Decode(msg []byte) (*Attempt, error) {
	if err := d.precheck(msg); err != nil {
		return nil, err
	}
	d.s.reset(msg)
	d.a = Attempt{}
	d.questions, d.options, d.optRange = d.questions[:0], d.options[:0], d.optRange[:0]
	d.unknown, d.qUnknown = d.unknown[:0], d.qUnknown[:0]
	d.level = atTop

	if d.s.peek() != '{' {
		d.s.skip()
		d.s.end()
		if d.s.err != nil {
			return nil, d.failure(msg)
		}
		return nil, &InvalidError{Reason: ReasonNotObject, Msg: "the top-level value is not an object"}
	}
	d.s.pos++
	d.s.enter()
	d.attempt()
	d.s.end()
	if d.s.err != nil {
		return nil, d.failure(msg)
	}
	if !d.a.KeenID.Valid || len(d.a.KeenID.B) == 0 {
		return nil, &InvalidError{Reason: ReasonMissingField, Field: "keen_id", Msg: "keen_id is absent, null or empty"}
	}
	for i := range d.questions {
		r := d.optRange[i]
		d.questions[i].Options = d.options[r[0]:r[1]:r[1]]
	}
	d.a.Questions = d.questions
	if len(d.unknown) > 0 {
		d.unknown = append(d.unknown, '}')
		d.unknown[0] = '{'
		d.a.Unknown = d.unknown
	}
	return &d.a, nil
}

// precheck rejects what must not reach the scanner.
func (d *Decoder) precheck(msg []byte) *InvalidError {
	limit := d.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	switch {
	case len(msg) == 0:
		return &InvalidError{Reason: ReasonEmpty, Msg: "empty message"}
	case len(msg) > limit:
		return &InvalidError{Reason: ReasonTooLarge, Offset: limit,
			Msg: fmt.Sprintf("message of %d bytes exceeds the limit of %d", len(msg), limit)}
	}
	return nil
}

// failure returns the error for a message the walk stopped on, in order of
// precedence: invalid UTF-8 anywhere in the message, then malformed JSON,
// then the walk's own error. The scanner checks UTF-8 only inside strings
// that hold non-ASCII bytes (the grammar rejects them everywhere else), so
// a message that is not valid UTF-8 always stops the walk and lands here.
func (d *Decoder) failure(msg []byte) *InvalidError {
	if !utf8.Valid(msg) {
		off := 0
		for off < len(msg) {
			r, n := utf8.DecodeRune(msg[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return &InvalidError{Reason: ReasonInvalidUTF8, Offset: off, Msg: "invalid UTF-8 byte sequence"}
	}
	err := d.s.err
	if err.Reason != ReasonInvalidJSON && err.Reason != ReasonTooDeep {
		// A message that is not even well-formed JSON says so first.
		if serr := checkSyntax(msg); serr != nil {
			return serr
		}
	}
	return err
}

func (d *Decoder) attempt() {
	a := &d.a
	first := true
	for key, ok := d.s.member(&first); ok; key, ok = d.s.member(&first) {
		switch string(key) {
		case "keen_id":
			a.KeenID = d.str("keen_id")
		case "keen_timestamp":
			a.KeenTimestamp = d.epoch("keen_timestamp")
		case "keen_created_at":
			a.KeenCreatedAt = d.epoch("keen_created_at")
		case "started_at":
			a.StartedAt = d.iso("started_at")
		case "base_exam_id":
			a.BaseExamID = d.str("base_exam_id")
		case "user_exam_id":
			a.UserExamID = d.str("user_exam_id")
		case "exam_name":
			a.ExamName = d.str("exam_name")
		case "certification":
			a.Certification = d.bool("certification")
		case "max_attempts":
			a.MaxAttempts = d.int32("max_attempts")
		case "sequences":
			d.sequences()
		default:
			d.unknown = d.keepUnknown(d.unknown, "", key)
		}
	}
}

func (d *Decoder) sequences() {
	if !d.object("sequences") {
		return
	}
	d.level = atSequences
	a := &d.a
	a.HasSequences = true
	first := true
	for key, ok := d.s.member(&first); ok; key, ok = d.s.member(&first) {
		switch string(key) {
		case "id":
			a.SequenceID = d.str("id")
		case "attempt":
			a.SequenceAttempt = d.int32("attempt")
		case "counts":
			d.counts()
		case "questions":
			d.questionList()
		default:
			d.unknown = d.keepUnknown(d.unknown, "sequences.", key)
		}
	}
	d.level = atTop
}

func (d *Decoder) counts() {
	if !d.object("counts") {
		return
	}
	d.level = atCounts
	c := &d.a.Counts
	d.a.HasCounts = true
	first := true
	for key, ok := d.s.member(&first); ok; key, ok = d.s.member(&first) {
		switch string(key) {
		case "correct":
			c.Correct = d.int32("correct")
		case "incorrect":
			c.Incorrect = d.int32("incorrect")
		case "incomplete":
			c.Incomplete = d.int32("incomplete")
		case "submitted":
			c.Submitted = d.int32("submitted")
		case "unanswered":
			c.Unanswered = d.int32("unanswered")
		case "total":
			c.Total = d.int32("total")
		case "all_correct":
			c.AllCorrect = d.bool("all_correct")
		default:
			d.unknown = d.keepUnknown(d.unknown, "sequences.counts.", key)
		}
	}
	d.level = atSequences
}

func (d *Decoder) questionList() {
	if !d.array("questions") {
		return
	}
	d.a.HasQuestions = true
	first := true
	for d.s.next(&first, ']') {
		d.qi = len(d.questions)
		d.question()
	}
	d.level = atSequences
}

func (d *Decoder) question() {
	d.level = atSequences
	if d.s.peek() != '{' {
		d.typeErr(fmt.Sprintf("questions[%d]", d.qi), "an object")
		return
	}
	d.s.pos++
	if !d.s.enter() {
		return
	}
	d.level = atQuestion
	d.questions = append(d.questions, Question{})
	lo := len(d.options)
	d.optRange = append(d.optRange, [2]int{lo, lo})
	q := &d.questions[len(d.questions)-1]
	unkStart := len(d.qUnknown)
	first := true
	for key, ok := d.s.member(&first); ok; key, ok = d.s.member(&first) {
		switch string(key) {
		case "id":
			q.ID = d.str("id")
		case "user_correct":
			q.UserCorrect = d.bool("user_correct")
		case "user_incomplete":
			q.UserIncomplete = d.bool("user_incomplete")
		case "user_submitted":
			q.UserSubmitted = d.bool("user_submitted")
		case "user_result":
			q.UserResult = d.str("user_result")
		case "options":
			q.HasOptions = d.optionList()
			d.optRange[len(d.optRange)-1][1] = len(d.options)
		default:
			d.qUnknown = d.keepUnknown(d.qUnknown, "", key)
		}
	}
	// The question's and its options' unknown members were appended back to
	// back; close them into one object.
	if len(d.qUnknown) > unkStart {
		d.qUnknown[unkStart] = '{'
		d.qUnknown = append(d.qUnknown, '}')
		q.Unknown = d.qUnknown[unkStart:len(d.qUnknown):len(d.qUnknown)]
	}
}

func (d *Decoder) optionList() bool {
	if !d.array("options") {
		return false
	}
	first := true
	for d.s.next(&first, ']') {
		d.oi = len(d.options) - d.optRange[len(d.optRange)-1][0]
		d.option()
	}
	d.level = atQuestion
	return true
}

func (d *Decoder) option() {
	d.level = atQuestion
	if d.s.peek() != '{' {
		d.typeErr(fmt.Sprintf("options[%d]", d.oi), "an object")
		return
	}
	d.s.pos++
	if !d.s.enter() {
		return
	}
	d.level = atOption
	d.options = append(d.options, Option{})
	o := &d.options[len(d.options)-1]
	first := true
	for key, ok := d.s.member(&first); ok; key, ok = d.s.member(&first) {
		switch string(key) {
		case "id":
			o.ID = d.str("id")
		case "checked":
			o.Checked = d.bool("checked")
		case "correct":
			o.Correct = d.bool("correct")
		case "submitted":
			o.Submitted = d.int32("submitted")
		case "at":
			o.At = d.iso("at")
		default:
			d.qUnknown = d.keepUnknown(d.qUnknown, "options["+strconv.Itoa(d.oi)+"].", key)
		}
	}
}

// keepUnknown appends `,"<prefix><key>":<raw value>` to buf, consuming the
// value. The caller turns the leading comma of the first member into '{'.
func (d *Decoder) keepUnknown(buf []byte, prefix string, key []byte) []byte {
	if d.s.err != nil {
		d.nameField("") // the key itself was malformed: name its object
		return buf
	}
	start := d.s.pos
	d.s.skip()
	if d.s.err != nil {
		d.nameField(string(key))
		return buf
	}
	buf = append(buf, ',')
	buf = appendJSONString(buf, prefix, key)
	buf = append(buf, ':')
	raw := d.s.data[start:d.s.pos]
	for len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t' || raw[0] == '\n' || raw[0] == '\r') {
		raw = raw[1:]
	}
	return append(buf, raw...)
}

// appendJSONString appends prefix+key as a quoted JSON string.
func appendJSONString(dst []byte, prefix string, key []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, prefix...)
	for _, c := range key {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// object consumes the opening of an object-valued field; it reports false
// when the value is null (absent) or on error.
func (d *Decoder) object(field string) bool {
	switch d.s.peek() {
	case '{':
		d.s.pos++
		return d.s.enter()
	case 'n':
		d.s.literal("null")
		d.nameField(field)
		return false
	}
	d.typeErr(field, "an object")
	return false
}

// array consumes the opening of an array-valued field, like object.
func (d *Decoder) array(field string) bool {
	switch d.s.peek() {
	case '[':
		d.s.pos++
		return d.s.enter()
	case 'n':
		d.s.literal("null")
		d.nameField(field)
		return false
	}
	d.typeErr(field, "an array")
	return false
}

// text reads a value that arrives as a JSON string or, when numbers is
// set, as a JSON number, and returns its text. ok is false when the value is
// null (absent) or on error.
func (d *Decoder) text(field, want string, numbers bool) (text []byte, ok bool) {
	switch c := d.s.peek(); {
	case c == 'n':
		d.s.literal("null")
		d.nameField(field)
		return nil, false
	case c == '"':
		text = d.s.str()
	case numbers && (c == '-' || (c >= '0' && c <= '9')):
		text = d.s.number()
	default:
		d.typeErr(field, want)
		return nil, false
	}
	if d.s.err != nil {
		d.nameField(field)
		return nil, false
	}
	return text, true
}

func (d *Decoder) str(field string) Str {
	b, ok := d.text(field, "a string", false)
	return Str{B: b, Valid: ok}
}

func (d *Decoder) bool(field string) Bool {
	switch d.s.peek() {
	case 't':
		if d.s.at("true") {
			return Bool{V: true, Valid: true}
		}
		d.s.literal("true")
		d.nameField(field)
		return Bool{}
	case 'f':
		if d.s.at("false") {
			return Bool{Valid: true}
		}
		d.s.literal("false")
		d.nameField(field)
		return Bool{}
	}
	b, ok := d.text(field, "a boolean", false)
	switch {
	case !ok:
		return Bool{}
	case string(b) == "true":
		return Bool{V: true, Valid: true}
	case string(b) == "false":
		return Bool{Valid: true}
	}
	d.valueErr(field, "%q is not a boolean", b)
	return Bool{}
}

func (d *Decoder) int32(field string) Int32 {
	b, ok := d.text(field, "an integer", true)
	if !ok {
		return Int32{}
	}
	v, ok := parseInt32(b)
	if !ok {
		d.valueErr(field, "%q is not a 32-bit integer", b)
		return Int32{}
	}
	return Int32{V: v, Valid: true}
}

// iso reads an RFC 3339 timestamp string.
func (d *Decoder) iso(field string) Time {
	// The form producers write, "2018-01-23T14:23:24.670Z", is parsed in
	// place: when those 24 bytes parse, none of them needs the string scan.
	if p, data := d.s.pos, d.s.data; p+26 <= len(data) && data[p] == '"' && data[p+25] == '"' {
		if us, ok := parseISOMicros(data[p+1 : p+25]); ok {
			d.s.pos = p + 26
			return Time{Micros: us, Valid: true}
		}
	}
	b, ok := d.text(field, "a timestamp string", false)
	if !ok {
		return Time{}
	}
	us, ok := parseISOMicros(b)
	if !ok {
		d.valueErr(field, "%q is not an RFC 3339 timestamp with a zone", b)
		return Time{}
	}
	return Time{Micros: us, Valid: true}
}

// epoch reads seconds since the epoch, as a string or a number.
func (d *Decoder) epoch(field string) Time {
	b, ok := d.text(field, "epoch seconds", true)
	if !ok {
		return Time{}
	}
	us, ok := parseEpochMicros(b)
	if !ok {
		d.valueErr(field, "%q is not epoch seconds", b)
		return Time{}
	}
	return Time{Micros: us, Valid: true}
}

// typeErr reports that the value at the cursor has the wrong JSON type.
func (d *Decoder) typeErr(field, want string) {
	var found string
	switch c := d.s.peek(); {
	case c == '{':
		found = "an object"
	case c == '[':
		found = "an array"
	case c == '"':
		found = "a string"
	case c == 't' || c == 'f':
		found = "a boolean"
	case c == 'n':
		found = "null"
	case c == '-' || (c >= '0' && c <= '9'):
		found = "a number"
	default:
		d.s.skip() // not JSON at all: let the scanner say why
		d.nameField(field)
		return
	}
	d.s.fail(ReasonInvalidType, "expected %s, found %s", want, found)
	d.nameField(field)
}

func (d *Decoder) valueErr(field, format string, args ...any) {
	d.s.fail(ReasonInvalidValue, format, args...)
	d.nameField(field)
}

// nameField names the field of a fresh error with its full JSON path.
func (d *Decoder) nameField(field string) {
	if d.s.err == nil || d.s.err.Field != "" {
		return
	}
	var path string
	switch d.level {
	case atTop:
	case atSequences:
		path = "sequences"
	case atCounts:
		path = "sequences.counts"
	case atQuestion:
		path = fmt.Sprintf("sequences.questions[%d]", d.qi)
	case atOption:
		path = fmt.Sprintf("sequences.questions[%d].options[%d]", d.qi, d.oi)
	}
	switch {
	case path == "":
		path = field
	case field != "":
		path += "." + field
	}
	d.s.err.Field = path
}
