package flatten

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Records holds one record batch per table; a table with no rows is nil.
// The caller owns the records and must Release them (Release does it for all).
type Records struct {
	Attempts, Questions, Quarantine arrow.RecordBatch
}

// Release releases every non-nil record.
func (r Records) Release() {
	for _, rec := range []arrow.RecordBatch{r.Attempts, r.Questions, r.Quarantine} {
		if rec != nil {
			rec.Release()
		}
	}
}

// Batch accumulates rows for the three tables in Arrow buffers. Rows are
// appended one message at a time and taken out as record batches with
// Take, which hands the buffers to the records. A Batch is not safe for
// concurrent use; Release it exactly once.
type Batch struct {
	mem memory.Allocator
	att attemptCols
	que questionCols
	qua quarantineCols
}

// NewBatch returns an empty Batch that allocates from mem.
func NewBatch(mem memory.Allocator) *Batch {
	return &Batch{mem: mem}
}

// Len returns the rows buffered per table.
func (b *Batch) Len() (attempts, questions, quarantined int) {
	return b.att.keenID.n, b.que.keenID.n, b.qua.reason.n
}

// AppendAttempt appends a decoded attempt: one attempts row and one
// questions row per question.
func (b *Batch) AppendAttempt(m *Meta, a *Attempt) {
	var s answerSpan
	for i := range a.Questions {
		s.add(b.que.append(b.mem, m, a, i))
	}
	b.att.append(b.mem, m, a, a.derive(s))
}

// AppendAttemptSplit is AppendAttempt with the questions rows appended to
// q instead of b: for a layout whose attempts and questions of one attempt
// fall in different partitions. The attempts row is the same, its derived
// columns included.
func (b *Batch) AppendAttemptSplit(m *Meta, a *Attempt, q *Batch) {
	var s answerSpan
	for i := range a.Questions {
		s.add(q.que.append(q.mem, m, a, i))
	}
	b.att.append(b.mem, m, a, a.derive(s))
}

// AppendQuarantine appends a message that could not be flattened.
func (b *Batch) AppendQuarantine(m *Meta, why *InvalidError, raw []byte) {
	b.qua.append(b.mem, m, why, raw)
}

// Take returns the buffered rows as record batches and empties the Batch.
func (b *Batch) Take() Records {
	var r Records
	if b.att.keenID.n > 0 {
		r.Attempts = b.att.finish(b.mem)
	}
	if b.que.keenID.n > 0 {
		r.Questions = b.que.finish(b.mem)
	}
	if b.qua.reason.n > 0 {
		r.Quarantine = b.qua.finish(b.mem)
	}
	return r
}

// Release frees the buffered rows' memory.
func (b *Batch) Release() {
	b.att.release()
	b.que.release()
	b.qua.release()
}

// record makes a record batch of schema from one array data per field,
// releasing the data.
func record(schema *arrow.Schema, data []arrow.ArrayData) arrow.RecordBatch {
	cols := make([]arrow.Array, len(data))
	for i, d := range data {
		cols[i] = array.MakeFromData(d)
		d.Release()
	}
	rec := array.NewRecordBatch(schema, cols, int64(cols[0].Len()))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// lineage holds the lineage columns that end every table.
type lineage struct {
	topic     binCol
	partition fixedCol[int32]
	offset    fixedCol[int64]
	timestamp fixedCol[int64]
	landedAt  fixedCol[int64]
}

func (l *lineage) append(mem memory.Allocator, m *Meta) {
	l.topic.append(mem, unsafe.Slice(unsafe.StringData(m.Topic), len(m.Topic)))
	l.partition.append(mem, m.Partition)
	l.offset.append(mem, m.Offset)
	if m.Timestamp.IsZero() {
		l.timestamp.appendNull(mem)
	} else {
		l.timestamp.append(mem, m.Timestamp.UnixMicro())
	}
	l.landedAt.append(mem, m.LandedAt.UnixMicro())
}

// finish appends the lineage columns' data to data.
func (l *lineage) finish(mem memory.Allocator, data []arrow.ArrayData) []arrow.ArrayData {
	return append(data,
		l.topic.finish(mem, str),
		l.partition.finish(i32),
		l.offset.finish(i64),
		l.timestamp.finish(Timestamp),
		l.landedAt.finish(Timestamp))
}

func (l *lineage) release() {
	l.topic.release()
	l.partition.release()
	l.offset.release()
	l.timestamp.release()
	l.landedAt.release()
}

type attemptCols struct {
	keenID, baseExamID, userExamID, examName, sequenceID         binCol
	keenTimestamp, keenCreatedAt, startedAt                      fixedCol[int64]
	certification, allCorrect                                    boolCol
	maxAttempts, sequenceAttempt                                 fixedCol[int32]
	correct, incorrect, incomplete, submitted, unanswered, total fixedCol[int32]
	score, duration                                              fixedCol[float64]
	questionCount, optionCount                                   fixedCol[int32]
	firstAnswerAt, completedAt                                   fixedCol[int64]
	unknown                                                      binCol
	lin                                                          lineage
}

// append appends attempt a, whose derived columns are d.
func (w *attemptCols) append(mem memory.Allocator, m *Meta, a *Attempt, d AttemptDerived) {
	appendStr(mem, &w.keenID, a.KeenID)
	appendTime(mem, &w.keenTimestamp, a.KeenTimestamp)
	appendTime(mem, &w.keenCreatedAt, a.KeenCreatedAt)
	appendTime(mem, &w.startedAt, a.StartedAt)
	appendStr(mem, &w.baseExamID, a.BaseExamID)
	appendStr(mem, &w.userExamID, a.UserExamID)
	appendStr(mem, &w.examName, a.ExamName)
	appendBool(mem, &w.certification, a.Certification)
	appendInt32(mem, &w.maxAttempts, a.MaxAttempts)
	appendStr(mem, &w.sequenceID, a.SequenceID)
	appendInt32(mem, &w.sequenceAttempt, a.SequenceAttempt)
	c := &a.Counts
	appendInt32(mem, &w.correct, c.Correct)
	appendInt32(mem, &w.incorrect, c.Incorrect)
	appendInt32(mem, &w.incomplete, c.Incomplete)
	appendInt32(mem, &w.submitted, c.Submitted)
	appendInt32(mem, &w.unanswered, c.Unanswered)
	appendInt32(mem, &w.total, c.Total)
	appendBool(mem, &w.allCorrect, c.AllCorrect)
	if d.Score.Valid {
		w.score.append(mem, d.Score.V)
	} else {
		w.score.appendNull(mem)
	}
	appendInt32(mem, &w.questionCount, d.QuestionCount)
	appendInt32(mem, &w.optionCount, d.OptionCount)
	appendTime(mem, &w.firstAnswerAt, d.FirstAnswerAt)
	appendTime(mem, &w.completedAt, d.CompletedAt)
	if d.DurationSeconds.Valid {
		w.duration.append(mem, d.DurationSeconds.V)
	} else {
		w.duration.appendNull(mem)
	}
	appendJSON(mem, &w.unknown, a.Unknown)
	w.lin.append(mem, m)
}

func (w *attemptCols) finish(mem memory.Allocator) arrow.RecordBatch {
	data := make([]arrow.ArrayData, 0, len(AttemptsTable.Columns))
	data = append(data,
		w.keenID.finish(mem, str),
		w.keenTimestamp.finish(Timestamp),
		w.keenCreatedAt.finish(Timestamp),
		w.startedAt.finish(Timestamp),
		w.baseExamID.finish(mem, str),
		w.userExamID.finish(mem, str),
		w.examName.finish(mem, str),
		w.certification.finish(boolT),
		w.maxAttempts.finish(i32),
		w.sequenceID.finish(mem, str),
		w.sequenceAttempt.finish(i32),
		w.correct.finish(i32),
		w.incorrect.finish(i32),
		w.incomplete.finish(i32),
		w.submitted.finish(i32),
		w.unanswered.finish(i32),
		w.total.finish(i32),
		w.allCorrect.finish(boolT),
		w.score.finish(f64),
		w.questionCount.finish(i32),
		w.optionCount.finish(i32),
		w.firstAnswerAt.finish(Timestamp),
		w.completedAt.finish(Timestamp),
		w.duration.finish(f64),
		w.unknown.finish(mem, str))
	return record(AttemptsTable.Schema, w.lin.finish(mem, data))
}

func (w *attemptCols) release() {
	for _, c := range []*binCol{&w.keenID, &w.baseExamID, &w.userExamID, &w.examName, &w.sequenceID, &w.unknown} {
		c.release()
	}
	for _, c := range []*fixedCol[int64]{&w.keenTimestamp, &w.keenCreatedAt, &w.startedAt, &w.firstAnswerAt, &w.completedAt} {
		c.release()
	}
	for _, c := range []*fixedCol[int32]{&w.maxAttempts, &w.sequenceAttempt, &w.correct, &w.incorrect,
		&w.incomplete, &w.submitted, &w.unanswered, &w.total, &w.questionCount, &w.optionCount} {
		c.release()
	}
	w.certification.release()
	w.allCorrect.release()
	w.score.release()
	w.duration.release()
	w.lin.release()
}

// optionCols are the fields of questions.options' structs.
type optionCols struct {
	n                int // structs appended
	id               binCol
	checked, correct boolCol
	submitted        fixedCol[int32]
	at               fixedCol[int64]
}

type questionCols struct {
	keenID, userExamID, baseExamID             binCol
	index                                      fixedCol[int32]
	questionID, userResult                     binCol
	userCorrect, userIncomplete, userSubmitted boolCol
	optionCount, checked, correct              fixedCol[int32]
	firstAnswerAt, lastAnswerAt                fixedCol[int64]
	options                                    listCol
	opt                                        optionCols
	unknown                                    binCol
	lin                                        lineage
}

// append appends question i of attempt a and returns its derived columns,
// worked out while its options are appended.
func (w *questionCols) append(mem memory.Allocator, m *Meta, a *Attempt, i int) QuestionDerived {
	q := &a.Questions[i]
	appendStr(mem, &w.keenID, a.KeenID)
	appendStr(mem, &w.userExamID, a.UserExamID)
	appendStr(mem, &w.baseExamID, a.BaseExamID)
	w.index.append(mem, int32(i))
	appendStr(mem, &w.questionID, q.ID)
	appendBool(mem, &w.userCorrect, q.UserCorrect)
	appendBool(mem, &w.userIncomplete, q.UserIncomplete)
	appendBool(mem, &w.userSubmitted, q.UserSubmitted)
	appendStr(mem, &w.userResult, q.UserResult)

	var d QuestionDerived
	if !q.HasOptions {
		w.options.appendNull(mem, w.opt.n)
	} else {
		w.options.append(mem, w.opt.n)
		d = withOptions()
		o := &w.opt
		for j := range q.Options {
			v := &q.Options[j]
			appendStr(mem, &o.id, v.ID)
			appendBool(mem, &o.checked, v.Checked)
			appendBool(mem, &o.correct, v.Correct)
			appendInt32(mem, &o.submitted, v.Submitted)
			appendTime(mem, &o.at, v.At)
			d.addOption(v)
		}
		o.n += len(q.Options)
	}
	appendInt32(mem, &w.optionCount, d.OptionCount)
	appendInt32(mem, &w.checked, d.OptionsChecked)
	appendInt32(mem, &w.correct, d.OptionsCorrect)
	appendTime(mem, &w.firstAnswerAt, d.FirstAnswerAt)
	appendTime(mem, &w.lastAnswerAt, d.LastAnswerAt)
	appendJSON(mem, &w.unknown, q.Unknown)
	w.lin.append(mem, m)
	return d
}

func (w *questionCols) finish(mem memory.Allocator) arrow.RecordBatch {
	o := &w.opt
	n := o.n
	o.n = 0
	opts := newData(OptionType, n, []*memory.Buffer{nil}, []arrow.ArrayData{
		o.id.finish(mem, str),
		o.checked.finish(boolT),
		o.correct.finish(boolT),
		o.submitted.finish(i32),
		o.at.finish(Timestamp),
	}, 0)
	for _, c := range opts.Children() {
		c.Release()
	}
	data := make([]arrow.ArrayData, 0, len(QuestionsTable.Columns))
	data = append(data,
		w.keenID.finish(mem, str),
		w.userExamID.finish(mem, str),
		w.baseExamID.finish(mem, str),
		w.index.finish(i32),
		w.questionID.finish(mem, str),
		w.userCorrect.finish(boolT),
		w.userIncomplete.finish(boolT),
		w.userSubmitted.finish(boolT),
		w.userResult.finish(mem, str),
		w.optionCount.finish(i32),
		w.checked.finish(i32),
		w.correct.finish(i32),
		w.firstAnswerAt.finish(Timestamp),
		w.lastAnswerAt.finish(Timestamp),
		w.options.finish(mem, QuestionsTable.Schema.Field(14).Type, n, opts),
		w.unknown.finish(mem, str))
	return record(QuestionsTable.Schema, w.lin.finish(mem, data))
}

func (w *questionCols) release() {
	for _, c := range []*binCol{&w.keenID, &w.userExamID, &w.baseExamID, &w.questionID, &w.userResult, &w.unknown, &w.opt.id} {
		c.release()
	}
	for _, c := range []*boolCol{&w.userCorrect, &w.userIncomplete, &w.userSubmitted, &w.opt.checked, &w.opt.correct} {
		c.release()
	}
	for _, c := range []*fixedCol[int32]{&w.index, &w.optionCount, &w.checked, &w.correct, &w.opt.submitted} {
		c.release()
	}
	for _, c := range []*fixedCol[int64]{&w.firstAnswerAt, &w.lastAnswerAt, &w.opt.at} {
		c.release()
	}
	w.options.release()
	w.opt.n = 0
	w.lin.release()
}

type quarantineCols struct {
	reason, field, detail binCol
	key, raw              binCol
	lin                   lineage
}

func (w *quarantineCols) append(mem memory.Allocator, m *Meta, why *InvalidError, raw []byte) {
	w.reason.append(mem, []byte(why.Reason))
	if why.Field == "" {
		w.field.appendNull(mem)
	} else {
		w.field.append(mem, []byte(why.Field))
	}
	w.detail.append(mem, []byte(why.Error()))
	if m.Key == nil {
		w.key.appendNull(mem)
	} else {
		w.key.append(mem, m.Key)
	}
	w.raw.append(mem, raw) // the column is not nullable: an empty or nil message is an empty value
	w.lin.append(mem, m)
}

func (w *quarantineCols) finish(mem memory.Allocator) arrow.RecordBatch {
	data := make([]arrow.ArrayData, 0, len(QuarantineTable.Columns))
	data = append(data,
		w.reason.finish(mem, str),
		w.field.finish(mem, str),
		w.detail.finish(mem, str),
		w.key.finish(mem, bin),
		w.raw.finish(mem, bin))
	return record(QuarantineTable.Schema, w.lin.finish(mem, data))
}

func (w *quarantineCols) release() {
	for _, c := range []*binCol{&w.reason, &w.field, &w.detail, &w.key, &w.raw} {
		c.release()
	}
	w.lin.release()
}

func appendStr(mem memory.Allocator, c *binCol, s Str) {
	if s.Valid {
		c.append(mem, s.B)
	} else {
		c.appendNull(mem)
	}
}

func appendJSON(mem memory.Allocator, c *binCol, j []byte) {
	if j != nil {
		c.append(mem, j)
	} else {
		c.appendNull(mem)
	}
}

func appendBool(mem memory.Allocator, c *boolCol, v Bool) {
	if v.Valid {
		c.append(mem, v.V)
	} else {
		c.appendNull(mem)
	}
}

func appendInt32(mem memory.Allocator, c *fixedCol[int32], v Int32) {
	if v.Valid {
		c.append(mem, v.V)
	} else {
		c.appendNull(mem)
	}
}

func appendTime(mem memory.Allocator, c *fixedCol[int64], t Time) {
	if t.Valid {
		c.append(mem, t.Micros)
	} else {
		c.appendNull(mem)
	}
}
