package flatten

import "time"

// Str is a string field that may be absent. B aliases the message bytes or
// the decoder's scratch space and is valid until the next Decode.
type Str struct {
	B     []byte
	Valid bool
}

// Bool is a boolean field that may be absent.
type Bool struct {
	V     bool
	Valid bool
}

// Int32 is an integer field that may be absent.
type Int32 struct {
	V     int32
	Valid bool
}

// Time is a timestamp field that may be absent, in microseconds since the
// Unix epoch, UTC.
type Time struct {
	Micros int64
	Valid  bool
}

// Time returns t as a time.Time in UTC (the zero time when absent).
func (t Time) Time() time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return time.UnixMicro(t.Micros).UTC()
}

// Counts is an attempt's `sequences.counts` object.
type Counts struct {
	Correct, Incorrect, Incomplete, Submitted, Unanswered, Total Int32
	AllCorrect                                                   Bool
}

// Attempt is one decoded assessment attempt. Every field mirrors the JSON
// document; a field that is absent or null is not Valid. An Attempt returned
// by Decoder.Decode is valid until the next call to Decode.
type Attempt struct {
	KeenID, UserExamID, BaseExamID, ExamName Str
	KeenTimestamp, KeenCreatedAt, StartedAt  Time
	Certification                            Bool
	MaxAttempts                              Int32

	// HasSequences reports whether the `sequences` object was present.
	HasSequences    bool
	SequenceID      Str
	SequenceAttempt Int32
	// HasCounts reports whether `sequences.counts` was present.
	HasCounts bool
	Counts    Counts
	// HasQuestions reports whether `sequences.questions` was present.
	HasQuestions bool
	Questions    []Question

	// Unknown holds the fields landerd does not know, as a JSON object
	// mapping each field's path ("sequences.extra") to its raw value, or nil
	// when there are none.
	Unknown []byte
}

// Question is one element of `sequences.questions`.
type Question struct {
	ID                                         Str
	UserCorrect, UserIncomplete, UserSubmitted Bool
	UserResult                                 Str
	// HasOptions reports whether the `options` array was present.
	HasOptions bool
	Options    []Option
	// Unknown holds the question's (and its options') unknown fields as a
	// JSON object keyed by path relative to the question, or nil.
	Unknown []byte
}

// Option is one element of a question's `options`.
type Option struct {
	ID        Str
	Checked   Bool
	Correct   Bool
	Submitted Int32
	At        Time
}

// Meta is the Kafka lineage of a message and the moment it landed; it is
// copied into every row made from the message.
type Meta struct {
	Topic     string
	Partition int32
	Offset    int64
	// Timestamp is the Kafka record timestamp (zero when the broker set none).
	Timestamp time.Time
	// Key is the Kafka record key (kept in quarantine rows).
	Key []byte
	// LandedAt is when landerd took the record in.
	LandedAt time.Time
}
