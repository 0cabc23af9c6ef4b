package lander

import (
	"errors"
	"testing"

	"github.com/landerd/landerd/internal/config"
)

func TestDecideResume(t *testing.T) {
	base := resumeFacts{topic: "t", partition: 3, lakeNext: 100, lakeID: "A", topicID: "A", start: 0, end: 500, committed: -1}
	with := func(f func(*resumeFacts)) resumeFacts {
		c := base
		f(&c)
		return c
	}
	cases := []struct {
		name    string
		facts   resumeFacts
		onGap   string
		initial string
		want    resume
		stop    error
	}{
		{"lake", base, config.GapContinue, "oldest", resume{offset: 100, from: fromLake, gapLast: -1}, nil},
		{"lake at the end", with(func(f *resumeFacts) { f.lakeNext = 500 }), config.GapContinue, "oldest", resume{offset: 500, from: fromLake, gapLast: -1}, nil},
		{"lake, no topic ids", with(func(f *resumeFacts) { f.lakeID, f.topicID = "", "" }), config.GapContinue, "oldest", resume{offset: 100, from: fromLake, gapLast: -1}, nil},
		{"retention gap, continue", with(func(f *resumeFacts) { f.start = 250 }), config.GapContinue, "oldest",
			resume{offset: 250, from: fromGap, gapFirst: 100, gapLast: 249, skipGap: true}, nil},
		{"retention gap, stop", with(func(f *resumeFacts) { f.start = 250 }), config.GapStop, "oldest",
			resume{offset: 250, from: fromNowhere, gapFirst: 100, gapLast: 249}, ErrRetentionGap},
		{"offsets went back", with(func(f *resumeFacts) { f.end = 40 }), config.GapContinue, "oldest",
			resume{offset: 0, from: fromNowhere, gapLast: -1}, ErrTopicRecreated},
		{"topic id changed", with(func(f *resumeFacts) { f.topicID = "B" }), config.GapContinue, "oldest",
			resume{offset: 0, from: fromNowhere, gapLast: -1}, ErrTopicRecreated},
		{"committed", with(func(f *resumeFacts) { f.lakeNext, f.committed = -1, 300 }), config.GapContinue, "oldest",
			resume{offset: 300, from: fromCommitted, gapLast: -1}, nil},
		{"committed below the log start", with(func(f *resumeFacts) { f.lakeNext, f.committed, f.start = -1, 30, 60 }), config.GapContinue, "oldest",
			resume{offset: 60, from: fromGap, gapFirst: 30, gapLast: 59, skipGap: true}, nil},
		{"added partition", with(func(f *resumeFacts) { f.lakeNext, f.siblings, f.start = -1, true, 7 }), config.GapContinue, "newest",
			resume{offset: 7, from: fromAdded, gapLast: -1}, nil},
		{"new, oldest", with(func(f *resumeFacts) { f.lakeNext, f.start = -1, 7 }), config.GapContinue, "oldest",
			resume{offset: 7, from: fromOldest, gapLast: -1}, nil},
		{"new, newest", with(func(f *resumeFacts) { f.lakeNext = -1 }), config.GapContinue, "newest",
			resume{offset: 500, from: fromNewest, gapLast: -1, commit: true}, nil},
		{"committed past the end, newest", with(func(f *resumeFacts) { f.lakeNext, f.committed = -1, 900 }), config.GapContinue, "newest",
			resume{offset: 500, from: fromNewest, gapLast: -1, commit: true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decideResume(c.facts, c.onGap, c.initial)
			if !errors.Is(got.stop, c.stop) || (c.stop == nil) != (got.stop == nil) {
				t.Fatalf("stop = %v; want %v", got.stop, c.stop)
			}
			got.stop = nil
			if got != c.want {
				t.Fatalf("decideResume = %+v; want %+v", got, c.want)
			}
		})
	}
}
