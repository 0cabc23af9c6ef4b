package flatten

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// refBatch is the plain Arrow builder path the Batch replaced, kept as the
// reference the Batch's records are compared with.
type refBatch struct {
	att refAttemptBuilders
	que refQuestionBuilders
	qua refQuarantineBuilders
}

// newRefBatch returns an empty refBatch that allocates from mem.
func newRefBatch(mem memory.Allocator) *refBatch {
	b := &refBatch{}
	b.att.init(mem)
	b.que.init(mem)
	b.qua.init(mem)
	return b
}

// Len returns the rows buffered per table.
func (b *refBatch) Len() (attempts, questions, quarantined int) {
	return b.att.rb.Field(0).Len(), b.que.rb.Field(0).Len(), b.qua.rb.Field(0).Len()
}

// AppendAttempt appends a decoded attempt: one attempts row and one
// questions row per question.
func (b *refBatch) AppendAttempt(m *Meta, a *Attempt) {
	b.att.append(m, a)
	for i := range a.Questions {
		b.que.append(m, a, i)
	}
}

// AppendQuarantine appends a message that could not be flattened.
func (b *refBatch) AppendQuarantine(m *Meta, why *InvalidError, raw []byte) {
	b.qua.append(m, why, raw)
}

// Take returns the buffered rows as record batches and empties the refBatch.
func (b *refBatch) Take() Records {
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
func (b *refBatch) Release() {
	b.att.rb.Release()
	b.que.rb.Release()
	b.qua.rb.Release()
}

// refLineage appends the refLineage columns that end every table.
type refLineage struct {
	topic     *array.StringBuilder
	partition *array.Int32Builder
	offset    *array.Int64Builder
	timestamp *array.TimestampBuilder
	landedAt  *array.TimestampBuilder
}

func (l *refLineage) init(rb *array.RecordBuilder, first int) {
	l.topic = rb.Field(first).(*array.StringBuilder)
	l.partition = rb.Field(first + 1).(*array.Int32Builder)
	l.offset = rb.Field(first + 2).(*array.Int64Builder)
	l.timestamp = rb.Field(first + 3).(*array.TimestampBuilder)
	l.landedAt = rb.Field(first + 4).(*array.TimestampBuilder)
}

func (l *refLineage) append(m *Meta) {
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

type refAttemptBuilders struct {
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
	lin                                                          refLineage
}

func (w *refAttemptBuilders) init(mem memory.Allocator) {
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

func (w *refAttemptBuilders) append(m *Meta, a *Attempt) {
	refAppendStr(w.keenID, a.KeenID)
	refAppendTime(w.keenTimestamp, a.KeenTimestamp)
	refAppendTime(w.keenCreatedAt, a.KeenCreatedAt)
	refAppendTime(w.startedAt, a.StartedAt)
	refAppendStr(w.baseExamID, a.BaseExamID)
	refAppendStr(w.userExamID, a.UserExamID)
	refAppendStr(w.examName, a.ExamName)
	refAppendBool(w.certification, a.Certification)
	refAppendInt32(w.maxAttempts, a.MaxAttempts)
	refAppendStr(w.sequenceID, a.SequenceID)
	refAppendInt32(w.sequenceAttempt, a.SequenceAttempt)
	c := &a.Counts
	refAppendInt32(w.correct, c.Correct)
	refAppendInt32(w.incorrect, c.Incorrect)
	refAppendInt32(w.incomplete, c.Incomplete)
	refAppendInt32(w.submitted, c.Submitted)
	refAppendInt32(w.unanswered, c.Unanswered)
	refAppendInt32(w.total, c.Total)
	refAppendBool(w.allCorrect, c.AllCorrect)

	d := a.Derive()
	if d.Score.Valid {
		w.score.Append(d.Score.V)
	} else {
		w.score.AppendNull()
	}
	refAppendInt32(w.questionCount, d.QuestionCount)
	refAppendInt32(w.optionCount, d.OptionCount)
	refAppendTime(w.firstAnswerAt, d.FirstAnswerAt)
	refAppendTime(w.completedAt, d.CompletedAt)
	if d.DurationSeconds.Valid {
		w.duration.Append(d.DurationSeconds.V)
	} else {
		w.duration.AppendNull()
	}
	refAppendJSON(w.unknown, a.Unknown)
	w.lin.append(m)
}

type refQuestionBuilders struct {
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
	lin                                        refLineage
}

func (w *refQuestionBuilders) init(mem memory.Allocator) {
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

func (w *refQuestionBuilders) append(m *Meta, a *Attempt, i int) {
	q := &a.Questions[i]
	refAppendStr(w.keenID, a.KeenID)
	refAppendStr(w.userExamID, a.UserExamID)
	refAppendStr(w.baseExamID, a.BaseExamID)
	w.index.Append(int32(i))
	refAppendStr(w.questionID, q.ID)
	refAppendBool(w.userCorrect, q.UserCorrect)
	refAppendBool(w.userIncomplete, q.UserIncomplete)
	refAppendBool(w.userSubmitted, q.UserSubmitted)
	refAppendStr(w.userResult, q.UserResult)

	d := q.Derive()
	refAppendInt32(w.optionCount, d.OptionCount)
	refAppendInt32(w.checked, d.OptionsChecked)
	refAppendInt32(w.correct, d.OptionsCorrect)
	refAppendTime(w.firstAnswerAt, d.FirstAnswerAt)
	refAppendTime(w.lastAnswerAt, d.LastAnswerAt)
	if !q.HasOptions {
		w.options.AppendNull()
	} else {
		w.options.Append(true)
		for j := range q.Options {
			o := &q.Options[j]
			w.opt.Append(true)
			refAppendStr(w.optID, o.ID)
			refAppendBool(w.optChecked, o.Checked)
			refAppendBool(w.optCorrect, o.Correct)
			refAppendInt32(w.optSubmitted, o.Submitted)
			refAppendTime(w.optAt, o.At)
		}
	}
	refAppendJSON(w.unknown, q.Unknown)
	w.lin.append(m)
}

type refQuarantineBuilders struct {
	rb                    *array.RecordBuilder
	reason, field, detail *array.StringBuilder
	key, raw              *array.BinaryBuilder
	lin                   refLineage
}

func (w *refQuarantineBuilders) init(mem memory.Allocator) {
	w.rb = array.NewRecordBuilder(mem, QuarantineTable.Schema)
	f := w.rb.Field
	w.reason = f(0).(*array.StringBuilder)
	w.field = f(1).(*array.StringBuilder)
	w.detail = f(2).(*array.StringBuilder)
	w.key = f(3).(*array.BinaryBuilder)
	w.raw = f(4).(*array.BinaryBuilder)
	w.lin.init(w.rb, 5)
}

func (w *refQuarantineBuilders) append(m *Meta, why *InvalidError, raw []byte) {
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

func refAppendStr(b *array.StringBuilder, s Str) {
	if s.Valid {
		b.BinaryBuilder.Append(s.B)
	} else {
		b.AppendNull()
	}
}

func refAppendJSON(b *array.StringBuilder, j []byte) {
	if j != nil {
		b.BinaryBuilder.Append(j)
	} else {
		b.AppendNull()
	}
}

func refAppendBool(b *array.BooleanBuilder, v Bool) {
	if v.Valid {
		b.Append(v.V)
	} else {
		b.AppendNull()
	}
}

func refAppendInt32(b *array.Int32Builder, v Int32) {
	if v.Valid {
		b.Append(v.V)
	} else {
		b.AppendNull()
	}
}

func refAppendTime(b *array.TimestampBuilder, t Time) {
	if t.Valid {
		b.Append(arrow.Timestamp(t.Micros))
	} else {
		b.AppendNull()
	}
}
