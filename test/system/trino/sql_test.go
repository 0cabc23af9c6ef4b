package trino

import (
	"slices"
	"testing"
)

func TestStatements(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string
	}{
		{"empty", "  \n-- only a comment\n", nil},
		{"two", "SELECT 1;\nSELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"comments", "-- head\nSELECT a -- the a\nFROM t; -- tail\n", []string{"SELECT a \nFROM t"}},
		{"quotes", "SELECT 'a;b', 'it''s; -- no', \"x;y\" FROM t;", []string{"SELECT 'a;b', 'it''s; -- no', \"x;y\" FROM t"}},
		{"blank statements", ";;SELECT 1;;", []string{"SELECT 1"}},
	}
	for _, tc := range tests {
		if got := Statements(tc.script); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Statements(%q) = %q, want %q", tc.name, tc.script, got, tc.want)
		}
	}
}
