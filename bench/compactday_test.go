package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestDayDefaults: compact-day's defaults are a day at the default roll,
// 12 partitions of 288 flushes.
func TestDayDefaults(t *testing.T) {
	o, err := parseDayOptions(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if n := o.partitions * o.flushesPerPartition(); n != 3456 {
		t.Errorf("%d flushes a day, want 3456", n)
	}
	if _, err := parseDayOptions([]string{"-max-file-age", "10s", "-runs", "0"}, io.Discard); err == nil {
		t.Error("a 10s roll and no runs were accepted")
	}
}

// TestDifferences: answers equal but for the last digits of a mean, or
// for the order Trino's rows came in, are the same; a count that differs
// is named with its place.
func TestDifferences(t *testing.T) {
	round := func(answers string) Round { return Round{Answers: json.RawMessage(answers)} }
	e := EngineRounds{
		Warmup: []Round{round(`{"raw": {"assessments": 10, "avg_score": 0.6265699745547079}}`)},
		Before: []Round{round(`{"raw": {"assessments": 10, "avg_score": 0.6265699745547048}}`)},
		After:  []Round{round(`{"raw": {"assessments": 11, "avg_score": 0.6265699745547048}}`)},
	}
	d, err := differences(&e)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 1 || !strings.HasPrefix(d[0], "after 1.raw.assessments: 11") {
		t.Errorf("differences %q, want one of after 1's assessments", d)
	}
	rows := EngineRounds{Before: []Round{round(`[["[\"raw\",3]","[\"dedup\",2]"]]`), round(`[["[\"raw\",3.0]","[\"dedup\",2]"]]`)}}
	if d, err := differences(&rows); err != nil || len(d) != 0 {
		t.Errorf("rows: differences %q, %v; want none", d, err)
	}
}
