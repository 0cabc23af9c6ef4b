package prometheus

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/repo"
)

func TestParseDashboard(t *testing.T) {
	const model = `{
	  "title": "t",
	  "panels": [
	    {"title": "row", "type": "row", "panels": [
	      {"title": "inner", "targets": [{"refId": "A", "expr": "up{job=~\"$job\"}"}]}
	    ]},
	    {"title": "two", "targets": [
	      {"refId": "A", "expr": "rate(x[$__rate_interval])"},
	      {"refId": "B", "expr": "  "}
	    ]},
	    {"title": "text"}
	  ],
	  "templating": {"list": [
	    {"name": "datasource", "type": "datasource", "query": "prometheus"},
	    {"name": "job", "type": "query", "query": {"query": "label_values(up, job)", "refId": "job"},
	     "includeAll": true, "allValue": ".*"},
	    {"name": "old", "type": "query", "definition": "label_values(up, instance)"}
	  ]}
	}`
	d, err := ParseDashboard([]byte(model))
	if err != nil {
		t.Fatal(err)
	}
	wantQ := []Query{
		{Panel: "inner", RefID: "A", Expr: `up{job=~"$job"}`},
		{Panel: "two", RefID: "A", Expr: "rate(x[$__rate_interval])"},
	}
	if len(d.Queries) != len(wantQ) {
		t.Fatalf("queries = %+v, want %+v", d.Queries, wantQ)
	}
	for i := range wantQ {
		if d.Queries[i] != wantQ[i] {
			t.Errorf("query %d = %+v, want %+v", i, d.Queries[i], wantQ[i])
		}
	}
	wantV := []Variable{
		{Name: "datasource", Type: "datasource", Query: "prometheus"},
		{Name: "job", Type: "query", Query: "label_values(up, job)", AllValue: ".*", IncludeAll: true},
		{Name: "old", Type: "query", Query: "label_values(up, instance)"},
	}
	if len(d.Variables) != len(wantV) {
		t.Fatalf("variables = %+v, want %+v", d.Variables, wantV)
	}
	for i := range wantV {
		if d.Variables[i] != wantV[i] {
			t.Errorf("variable %d = %+v, want %+v", i, d.Variables[i], wantV[i])
		}
	}
}

func TestExpand(t *testing.T) {
	vals := map[string]string{"topic": "a", "topics": "b", "__rate_interval": "4s"}
	tests := []struct {
		expr, want, err string
	}{
		{expr: `x{topic=~"$topic"}`, want: `x{topic=~"a"}`},
		{expr: `x{topic=~"${topic}",t="[[topics]]"}`, want: `x{topic=~"a",t="b"}`},
		{expr: `$topics/$topic`, want: `b/a`},
		{expr: `rate(x[$__rate_interval])`, want: `rate(x[4s])`},
		{expr: `x{a=~"end$"}`, want: `x{a=~"end$"}`},
		{expr: `rate(x[$__range])`, err: "unknown variable $__range"},
		{expr: `x{p="${partition}"}`, err: "unknown variable ${partition}"},
	}
	for _, tc := range tests {
		got, err := Expand(tc.expr, vals)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Expand(%q) = %q, %v; want error %q", tc.expr, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.expr, got, err, tc.want)
		}
	}
}

// TestShippedDashboard checks that the shipped dashboard parses and that
// every query uses only the variables the Prometheus check substitutes.
func TestShippedDashboard(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadDashboard(filepath.Join(root, "deploy", "grafana", "landerd.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Queries) < 20 {
		t.Fatalf("%d queries in the dashboard, want the 20 or more it ships with", len(d.Queries))
	}
	vals := grafanaVariables(time.Second, "assessment-attempts")
	for _, q := range d.Queries {
		if _, err := Expand(q.Expr, vals); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
