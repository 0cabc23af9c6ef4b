package flatten

import (
	"errors"
	"fmt"
)

// InvalidError says why a message could not be flattened. Decoder.Decode
// returns only this error type.
type InvalidError struct {
	// Reason is the stable code stored in the quarantine table.
	Reason Reason
	// Field is the JSON path of the offending field, such as
	// "sequences.questions[2].options[0].at", or "" when the problem is not
	// tied to one field.
	Field string
	// Offset is the byte offset in the message where the problem was found,
	// or negative when the problem is not in the message's value (its
	// tenant header or topic).
	Offset int
	// Msg describes the problem in words.
	Msg string
}

// Error implements error.
func (e *InvalidError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("%s: %s", e.Reason, e.Msg)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s at byte %d: %s", e.Reason, e.Offset, e.Msg)
	}
	return fmt.Sprintf("%s: %s at byte %d: %s", e.Reason, e.Field, e.Offset, e.Msg)
}

// ReasonOf returns the Reason carried by err, or "" when err is not (and
// does not wrap) an *InvalidError.
func ReasonOf(err error) Reason {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return ""
}
