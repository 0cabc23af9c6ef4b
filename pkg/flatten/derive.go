package flatten

// Float64 is a derived number that may be unknown.
type Float64 struct {
	V     float64
	Valid bool
}

// AttemptDerived holds the attempts table's derived columns.
type AttemptDerived struct {
	Score                      Float64
	QuestionCount, OptionCount Int32
	FirstAnswerAt, CompletedAt Time
	DurationSeconds            Float64
}

// Derive computes the attempt's derived columns (see docs/schema.md):
// score = correct/total; first_answer_at and completed_at = min and max of
// every option's `at`; duration_seconds = completed_at - started_at.
func (a *Attempt) Derive() AttemptDerived {
	var s answerSpan
	for i := range a.Questions {
		s.add(a.Questions[i].Derive())
	}
	return a.derive(s)
}

// answerSpan gathers, question by question, what the attempt's derived
// columns need of its options: how many there are and the span of their
// answer times.
type answerSpan struct {
	options     int32
	first, last Time
}

func (s *answerSpan) add(d QuestionDerived) {
	s.options += d.OptionCount.V
	s.first = earliest(s.first, d.FirstAnswerAt)
	s.last = latest(s.last, d.LastAnswerAt)
}

// derive computes the attempt's derived columns from s, the span of all
// its questions.
func (a *Attempt) derive(s answerSpan) AttemptDerived {
	var d AttemptDerived
	c := &a.Counts
	if c.Correct.Valid && c.Total.Valid && c.Total.V > 0 {
		d.Score = Float64{V: float64(c.Correct.V) / float64(c.Total.V), Valid: true}
	}
	if a.HasQuestions {
		d.QuestionCount = Int32{V: int32(len(a.Questions)), Valid: true}
		d.OptionCount = Int32{V: s.options, Valid: true}
		d.FirstAnswerAt, d.CompletedAt = s.first, s.last
	}
	if d.CompletedAt.Valid && a.StartedAt.Valid {
		d.DurationSeconds = Float64{V: float64(d.CompletedAt.Micros-a.StartedAt.Micros) / 1e6, Valid: true}
	}
	return d
}

// QuestionDerived holds the questions table's derived columns.
type QuestionDerived struct {
	OptionCount, OptionsChecked, OptionsCorrect Int32
	FirstAnswerAt, LastAnswerAt                 Time
}

// Derive computes the question's derived columns.
func (q *Question) Derive() QuestionDerived {
	if !q.HasOptions {
		return QuestionDerived{}
	}
	d := withOptions()
	for j := range q.Options {
		d.addOption(&q.Options[j])
	}
	return d
}

// withOptions returns the derived columns of a question whose options
// field is present, before any option is added: counts of zero.
func withOptions() QuestionDerived {
	return QuestionDerived{OptionCount: Int32{Valid: true}, OptionsChecked: Int32{Valid: true}, OptionsCorrect: Int32{Valid: true}}
}

// addOption adds one option to the derived columns of its question.
func (d *QuestionDerived) addOption(o *Option) {
	d.OptionCount.V++
	if o.Checked.Valid && o.Checked.V {
		d.OptionsChecked.V++
	}
	if o.Correct.Valid && o.Correct.V {
		d.OptionsCorrect.V++
	}
	d.FirstAnswerAt = earliest(d.FirstAnswerAt, o.At)
	d.LastAnswerAt = latest(d.LastAnswerAt, o.At)
}

func earliest(cur, t Time) Time {
	if t.Valid && (!cur.Valid || t.Micros < cur.Micros) {
		return t
	}
	return cur
}

func latest(cur, t Time) Time {
	if t.Valid && (!cur.Valid || t.Micros > cur.Micros) {
		return t
	}
	return cur
}
