package sink

import (
	"fmt"
	"strings"
)

// MaxTopicLength is Kafka's limit on the length of a topic name, and of a
// group instance id.
const MaxTopicLength = 249

// TopicChar reports whether Kafka allows c in a topic name (and in a group
// instance id): ASCII letters, digits, '.', '_' and '-'. They are also safe
// in directory and file names.
func TopicChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// TopicError says how a name breaks Kafka's rule for topic names, which
// Kafka applies to group instance ids as well. Only Long and Chars can
// both hold.
type TopicError struct {
	// Topic is the name.
	Topic string
	// Empty: the name is empty.
	Empty bool
	// Dots: the name is "." or "..".
	Dots bool
	// Long: the name is longer than MaxTopicLength.
	Long bool
	// Chars: the name holds a character TopicChar refuses.
	Chars bool
}

// Error says the first problem, in the order Kafka checks them (empty,
// dots, length, characters), as a problem of the field that holds the
// name: "must not be empty", `".." is not a valid topic name`, "must be at
// most 249 characters, got 250", `"a b" may contain only ASCII letters,
// digits, '.', '_' and '-'`.
func (e *TopicError) Error() string {
	switch {
	case e.Empty:
		return "must not be empty"
	case e.Dots:
		return fmt.Sprintf("%q is not a valid topic name", e.Topic)
	case e.Long:
		return fmt.Sprintf("must be at most %d characters, got %d", MaxTopicLength, len(e.Topic))
	default:
		return fmt.Sprintf("%q may contain only ASCII letters, digits, '.', '_' and '-'", e.Topic)
	}
}

// CheckTopic returns nil when topic is a legal Kafka topic name, and
// otherwise a *TopicError saying how it is not.
func CheckTopic(topic string) error {
	empty := topic == ""
	dots := topic == "." || topic == ".."
	long := len(topic) > MaxTopicLength
	chars := strings.IndexFunc(topic, func(c rune) bool { return !TopicChar(c) }) >= 0
	if !empty && !dots && !long && !chars {
		return nil
	}
	return &TopicError{Topic: topic, Empty: empty, Dots: dots, Long: long, Chars: chars}
}

// checkTopic is CheckTopic with the error the lake's paths give.
func checkTopic(topic string) error {
	if CheckTopic(topic) != nil {
		return fmt.Errorf("invalid topic name %q", topic)
	}
	return nil
}
