package flatten

import (
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

// Batch accumulates rows for the three tables in Arrow builders. Rows are
// appended one message at a time and taken out as record batches with
// Flush. A Batch is not safe for concurrent use; Release it exactly once.
type Batch struct {
	att attemptBuilders
	que questionBuilders
	qua quarantineBuilders
}

// NewBatch returns an empty Batch that allocates from mem.
func NewBatch(mem memory.Allocator) *Batch {
	b := &Batch{}
	b.att.init(mem)
	b.que.init(mem)
	b.qua.init(mem)
	return b
}

// Len returns the rows buffered per table.
func (b *Batch) Len() (attempts, questions, quarantined int) {
	return b.att.rb.Field(0).Len(), b.que.rb.Field(0).Len(), b.qua.rb.Field(0).Len()
}

// AppendAttempt appends a decoded attempt: one attempts row and one
// questions row per question.
func (b *Batch) AppendAttempt(m *Meta, a *Attempt) {
	b.att.append(m, a)
	for i := range a.Questions {
		b.que.append(m, a, i)
	}
}

// AppendQuarantine appends a message that could not be flattened.
func (b *Batch) AppendQuarantine(m *Meta, why *InvalidError, raw []byte) {
	b.qua.append(m, why, raw)
}

// Flush returns the buffered rows as record batches and empties the Batch.
func (b *Batch) Flush() Records {
	var r Records
	if b.att.rb.Field(0).Len() > 0 {
		r.Attempts = b.att.rb.NewRecordBatch()
	}
	if b.que.rb.Field(0).Len() > 0 {
		r.Questions = b.que.rb.NewRecordBatch()
	}
	if b.qua.rb.Field(0).Len() > 0 {
		r.Quarantine = b.qua.rb.NewRecordBatch()
	}
	return r
}

// Release frees the builders' memory.
func (b *Batch) Release() {
	b.att.rb.Release()
	b.que.rb.Release()
	b.qua.rb.Release()
}

// lineage appends the lineage columns that end every table.
type lineage struct {
	topic     *array.StringBuilder
	partition *array.Int32Builder
	offset    *array.Int64Builder
	timestamp *array.TimestampBuilder
	landedAt  *array.TimestampBuilder
}

func (l *lineage) init(rb *array.RecordBuilder, first int) {
	l.topic = rb.Field(first).(*array.StringBuilder)
	l.partition = rb.Field(first + 1).(*array.Int32Builder)
	l.offset = rb.Field(first + 2).(*array.Int64Builder)
	l.timestamp = rb.Field(first + 3).(*array.TimestampBuilder)
	l.landedAt = rb.Field(first + 4).(*array.TimestampBuilder)
}

func (l *lineage) append(m *Meta) {
	l.topic.Append(m.Topic)
	l.partition.Append(m.Partition)
	l.offset.Append(m.Offset)
	if m.Timestamp.IsZero() {
		l.timestamp.AppendNull()
	} else {
		l.timestamp.Append(arrow.Timestamp(m.Timestamp.UnixMicro()))
	}
	l.landedAt.Append(arrow.Timestamp(m.LandedAt.UnixMicro()))
}

type attemptBuilders struct {
	rb                                                           *array.RecordBuilder
	keenID, baseExamID, userExamID, examName, sequenceID         *array.StringBuilder
	keenTimestamp, keenCreatedAt, startedAt                      *array.TimestampBuilder
	certification, allCorrect                                    *array.BooleanBuilder
	maxAttempts, sequenceAttempt                                 *array.Int32Builder
	correct, incorrect, incomplete, submitted, unanswered, total *array.Int32Builder
	score, duration                                              *array.Float64Builder
	questionCount, optionCount                                   *array.Int32Builder
	firstAnswerAt, completedAt                                   *array.TimestampBuilder
	unknown                                                      *array.StringBuilder
	lin                                                          lineage
}

func (w *attemptBuilders) init(mem memory.Allocator) {
	w.rb = array.NewRecordBuilder(mem, AttemptsTable.Schema)
	f := w.rb.Field
	w.keenID = f(0).(*array.StringBuilder)
	w.keenTimestamp = f(1).(*array.TimestampBuilder)
	w.keenCreatedAt = f(2).(*array.TimestampBuilder)
	w.startedAt = f(3).(*array.TimestampBuilder)
	w.baseExamID = f(4).(*array.StringBuilder)
	w.userExamID = f(5).(*array.StringBuilder)
	w.examName = f(6).(*array.StringBuilder)
	w.certification = f(7).(*array.BooleanBuilder)
	w.maxAttempts = f(8).(*array.Int32Builder)
	w.sequenceID = f(9).(*array.StringBuilder)
	w.sequenceAttempt = f(10).(*array.Int32Builder)
	w.correct = f(11).(*array.Int32Builder)
	w.incorrect = f(12).(*array.Int32Builder)
	w.incomplete = f(13).(*array.Int32Builder)
	w.submitted = f(14).(*array.Int32Builder)
	w.unanswered = f(15).(*array.Int32Builder)
	w.total = f(16).(*array.Int32Builder)
	w.allCorrect = f(17).(*array.BooleanBuilder)
	w.score = f(18).(*array.Float64Builder)
	w.questionCount = f(19).(*array.Int32Builder)
	w.optionCount = f(20).(*array.Int32Builder)
	w.firstAnswerAt = f(21).(*array.TimestampBuilder)
	w.completedAt = f(22).(*array.TimestampBuilder)
	w.duration = f(23).(*array.Float64Builder)
	w.unknown = f(24).(*array.StringBuilder)
	w.lin.init(w.rb, 25)
}

func (w *attemptBuilders) append(m *Meta, a *Attempt) {
	appendStr(w.keenID, a.KeenID)
	appendTime(w.keenTimestamp, a.KeenTimestamp)
	appendTime(w.keenCreatedAt, a.KeenCreatedAt)
	appendTime(w.startedAt, a.StartedAt)
	appendStr(w.baseExamID, a.BaseExamID)
	appendStr(w.userExamID, a.UserExamID)
	appendStr(w.examName, a.ExamName)
	appendBool(w.certification, a.Certification)
	appendInt32(w.maxAttempts, a.MaxAttempts)
	appendStr(w.sequenceID, a.SequenceID)
	appendInt32(w.sequenceAttempt, a.SequenceAttempt)
	c := &a.Counts
	appendInt32(w.correct, c.Correct)
	appendInt32(w.incorrect, c.Incorrect)
	appendInt32(w.incomplete, c.Incomplete)
	appendInt32(w.submitted, c.Submitted)
	appendInt32(w.unanswered, c.Unanswered)
	appendInt32(w.total, c.Total)
	appendBool(w.allCorrect, c.AllCorrect)

	d := a.Derive()
	if d.Score.Valid {
		w.score.Append(d.Score.V)
	} else {
		w.score.AppendNull()
	}
	appendInt32(w.questionCount, d.QuestionCount)
	appendInt32(w.optionCount, d.OptionCount)
	appendTime(w.firstAnswerAt, d.FirstAnswerAt)
	appendTime(w.completedAt, d.CompletedAt)
	if d.DurationSeconds.Valid {
		w.duration.Append(d.DurationSeconds.V)
	} else {
		w.duration.AppendNull()
	}
	appendJSON(w.unknown, a.Unknown)
	w.lin.append(m)
}

type questionBuilders struct {
	rb                                         *array.RecordBuilder
	keenID, userExamID, baseExamID             *array.StringBuilder
	index                                      *array.Int32Builder
	questionID, userResult                     *array.StringBuilder
	userCorrect, userIncomplete, userSubmitted *array.BooleanBuilder
	optionCount, checked, correct              *array.Int32Builder
	firstAnswerAt, lastAnswerAt                *array.TimestampBuilder
	options                                    *array.ListBuilder
	opt                                        *array.StructBuilder
	optID                                      *array.StringBuilder
	optChecked, optCorrect                     *array.BooleanBuilder
	optSubmitted                               *array.Int32Builder
	optAt                                      *array.TimestampBuilder
	unknown                                    *array.StringBuilder
	lin                                        lineage
}

func (w *questionBuilders) init(mem memory.Allocator) {
	w.rb = array.NewRecordBuilder(mem, QuestionsTable.Schema)
	f := w.rb.Field
	w.keenID = f(0).(*array.StringBuilder)
	w.userExamID = f(1).(*array.StringBuilder)
	w.baseExamID = f(2).(*array.StringBuilder)
	w.index = f(3).(*array.Int32Builder)
	w.questionID = f(4).(*array.StringBuilder)
	w.userCorrect = f(5).(*array.BooleanBuilder)
	w.userIncomplete = f(6).(*array.BooleanBuilder)
	w.userSubmitted = f(7).(*array.BooleanBuilder)
	w.userResult = f(8).(*array.StringBuilder)
	w.optionCount = f(9).(*array.Int32Builder)
	w.checked = f(10).(*array.Int32Builder)
	w.correct = f(11).(*array.Int32Builder)
	w.firstAnswerAt = f(12).(*array.TimestampBuilder)
	w.lastAnswerAt = f(13).(*array.TimestampBuilder)
	w.options = f(14).(*array.ListBuilder)
	w.opt = w.options.ValueBuilder().(*array.StructBuilder)
	w.optID = w.opt.FieldBuilder(0).(*array.StringBuilder)
	w.optChecked = w.opt.FieldBuilder(1).(*array.BooleanBuilder)
	w.optCorrect = w.opt.FieldBuilder(2).(*array.BooleanBuilder)
	w.optSubmitted = w.opt.FieldBuilder(3).(*array.Int32Builder)
	w.optAt = w.opt.FieldBuilder(4).(*array.TimestampBuilder)
	w.unknown = f(15).(*array.StringBuilder)
	w.lin.init(w.rb, 16)
}

func (w *questionBuilders) append(m *Meta, a *Attempt, i int) {
	q := &a.Questions[i]
	appendStr(w.keenID, a.KeenID)
	appendStr(w.userExamID, a.UserExamID)
	appendStr(w.baseExamID, a.BaseExamID)
	w.index.Append(int32(i))
	appendStr(w.questionID, q.ID)
	appendBool(w.userCorrect, q.UserCorrect)
	appendBool(w.userIncomplete, q.UserIncomplete)
	appendBool(w.userSubmitted, q.UserSubmitted)
	appendStr(w.userResult, q.UserResult)

	d := q.Derive()
	appendInt32(w.optionCount, d.OptionCount)
	appendInt32(w.checked, d.OptionsChecked)
	appendInt32(w.correct, d.OptionsCorrect)
	appendTime(w.firstAnswerAt, d.FirstAnswerAt)
	appendTime(w.lastAnswerAt, d.LastAnswerAt)
	if !q.HasOptions {
		w.options.AppendNull()
	} else {
		w.options.Append(true)
		for j := range q.Options {
			o := &q.Options[j]
			w.opt.Append(true)
			appendStr(w.optID, o.ID)
			appendBool(w.optChecked, o.Checked)
			appendBool(w.optCorrect, o.Correct)
			appendInt32(w.optSubmitted, o.Submitted)
			appendTime(w.optAt, o.At)
		}
	}
	appendJSON(w.unknown, q.Unknown)
	w.lin.append(m)
}

type quarantineBuilders struct {
	rb                    *array.RecordBuilder
	reason, field, detail *array.StringBuilder
	key, raw              *array.BinaryBuilder
	lin                   lineage
}

func (w *quarantineBuilders) init(mem memory.Allocator) {
	w.rb = array.NewRecordBuilder(mem, QuarantineTable.Schema)
	f := w.rb.Field
	w.reason = f(0).(*array.StringBuilder)
	w.field = f(1).(*array.StringBuilder)
	w.detail = f(2).(*array.StringBuilder)
	w.key = f(3).(*array.BinaryBuilder)
	w.raw = f(4).(*array.BinaryBuilder)
	w.lin.init(w.rb, 5)
}

func (w *quarantineBuilders) append(m *Meta, why *InvalidError, raw []byte) {
	w.reason.Append(string(why.Reason))
	if why.Field == "" {
		w.field.AppendNull()
	} else {
		w.field.Append(why.Field)
	}
	w.detail.Append(why.Error())
	if m.Key == nil {
		w.key.AppendNull()
	} else {
		w.key.Append(m.Key)
	}
	if raw == nil {
		raw = []byte{} // the column is not nullable: an empty message is an empty value
	}
	w.raw.Append(raw)
	w.lin.append(m)
}

func appendStr(b *array.StringBuilder, s Str) {
	if s.Valid {
		b.BinaryBuilder.Append(s.B)
	} else {
		b.AppendNull()
	}
}

func appendJSON(b *array.StringBuilder, j []byte) {
	if j != nil {
		b.BinaryBuilder.Append(j)
	} else {
		b.AppendNull()
	}
}

func appendBool(b *array.BooleanBuilder, v Bool) {
	if v.Valid {
		b.Append(v.V)
	} else {
		b.AppendNull()
	}
}

func appendInt32(b *array.Int32Builder, v Int32) {
	if v.Valid {
		b.Append(v.V)
	} else {
		b.AppendNull()
	}
}

func appendTime(b *array.TimestampBuilder, t Time) {
	if t.Valid {
		b.Append(arrow.Timestamp(t.Micros))
	} else {
		b.AppendNull()
	}
}
