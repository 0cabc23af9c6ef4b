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
	var d AttemptDerived
	c := &a.Counts
	if c.Correct.Valid && c.Total.Valid && c.Total.V > 0 {
		d.Score = Float64{V: float64(c.Correct.V) / float64(c.Total.V), Valid: true}
	}
	if a.HasQuestions {
		d.QuestionCount = Int32{V: int32(len(a.Questions)), Valid: true}
		var n int32
		for i := range a.Questions {
			n += int32(len(a.Questions[i].Options))
			for j := range a.Questions[i].Options {
				at := a.Questions[i].Options[j].At
				d.FirstAnswerAt = earliest(d.FirstAnswerAt, at)
				d.CompletedAt = latest(d.CompletedAt, at)
			}
		}
		d.OptionCount = Int32{V: n, Valid: true}
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
	var d QuestionDerived
	if !q.HasOptions {
		return d
	}
	var checked, correct int32
	for j := range q.Options {
		o := &q.Options[j]
		if o.Checked.Valid && o.Checked.V {
			checked++
		}
		if o.Correct.Valid && o.Correct.V {
			correct++
		}
		d.FirstAnswerAt = earliest(d.FirstAnswerAt, o.At)
		d.LastAnswerAt = latest(d.LastAnswerAt, o.At)
	}
	d.OptionCount = Int32{V: int32(len(q.Options)), Valid: true}
	d.OptionsChecked = Int32{V: checked, Valid: true}
	d.OptionsCorrect = Int32{V: correct, Valid: true}
	return d
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
