package sink

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestCheckTopic holds the cases of every caller of the rule: the
// configuration's topics and instance id, and the lake's file names.
func TestCheckTopic(t *testing.T) {
	long := strings.Repeat("a", MaxTopicLength+1)
	tests := []struct {
		topic string
		want  *TopicError // nil: legal
		text  string
	}{
		{"a", nil, ""},
		{"attempts", nil, ""},
		{"assessment-attempts", nil, ""},
		{"assessment-attempts.v1", nil, ""},
		{"assessment-attempts.pearson", nil, ""},
		{"acme_2", nil, ""},
		{"a_b", nil, ""},
		{"landerd-7f9c-0", nil, ""},
		{"...", nil, ""},
		{".a", nil, ""},
		{"A-Z.0_9", nil, ""},
		{strings.Repeat("a", MaxTopicLength), nil, ""},
		{"", &TopicError{Empty: true}, "must not be empty"},
		{".", &TopicError{Dots: true}, `"." is not a valid topic name`},
		{"..", &TopicError{Dots: true}, `".." is not a valid topic name`},
		{long, &TopicError{Long: true}, "must be at most 249 characters, got 250"},
		{string(make([]byte, 250)), &TopicError{Long: true, Chars: true}, "must be at most 249 characters, got 250"},
		{"a b", &TopicError{Chars: true}, `"a b" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"assessment attempts", &TopicError{Chars: true}, `"assessment attempts" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"t/x", &TopicError{Chars: true}, `"t/x" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"ns/pod", &TopicError{Chars: true}, `"ns/pod" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"attempts/{tenant}", &TopicError{Chars: true}, `"attempts/{tenant}" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"a+b", &TopicError{Chars: true}, `"a+b" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"é", &TopicError{Chars: true}, `"é" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"\xff", &TopicError{Chars: true}, `"\xff" may contain only ASCII letters, digits, '.', '_' and '-'`},
		{"a\n", &TopicError{Chars: true}, `"a\n" may contain only ASCII letters, digits, '.', '_' and '-'`},
	}
	for _, tc := range tests {
		err := CheckTopic(tc.topic)
		if tc.want == nil {
			if err != nil {
				t.Errorf("CheckTopic(%.20q) = %v, want nil", tc.topic, err)
			}
			if err := checkTopic(tc.topic); err != nil {
				t.Errorf("checkTopic(%.20q) = %v, want nil", tc.topic, err)
			}
			continue
		}
		var got *TopicError
		if !errors.As(err, &got) {
			t.Errorf("CheckTopic(%.20q) = %v, want a *TopicError", tc.topic, err)
			continue
		}
		tc.want.Topic = tc.topic
		if *got != *tc.want || got.Error() != tc.text {
			t.Errorf("CheckTopic(%.20q) = %+v %q, want %+v %q", tc.topic, *got, got.Error(), *tc.want, tc.text)
		}
		if err := checkTopic(tc.topic); err == nil || err.Error() != fmt.Sprintf("invalid topic name %q", tc.topic) {
			t.Errorf("checkTopic(%.20q) = %v, want invalid topic name", tc.topic, err)
		}
	}
}
