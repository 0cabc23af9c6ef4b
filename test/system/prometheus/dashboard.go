package prometheus

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Dashboard is what the checks need of a Grafana dashboard: the query of
// every panel target and the template variables the queries refer to.
type Dashboard struct {
	// Title is the dashboard's title.
	Title string
	// Queries holds every target with an expression, in panel order.
	Queries []Query
	// Variables holds the dashboard's template variables, in order.
	Variables []Variable
}

// Query is one target of one panel.
type Query struct {
	// Panel is the title of the panel holding the target.
	Panel string
	// RefID is the target's refId ("A", "B", …).
	RefID string
	// Expr is the PromQL expression as written in the dashboard, with its
	// template variables.
	Expr string
}

// String names the query for messages.
func (q Query) String() string {
	return fmt.Sprintf("%q/%s", q.Panel, q.RefID)
}

// Variable is a dashboard template variable.
type Variable struct {
	// Name is the variable's name, used as $name in expressions.
	Name string
	// Type is its Grafana type: "query", "datasource", "custom", …
	Type string
	// Query is the query that lists the variable's values, for a query
	// variable, e.g. label_values(metric, label).
	Query string
	// AllValue is the value that stands for "All" when IncludeAll is set.
	AllValue string
	// IncludeAll reports whether "All" can be chosen.
	IncludeAll bool
}

// panel is the part of a Grafana panel the checks read; rows nest panels.
type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// LoadDashboard reads a Grafana dashboard JSON file.
func LoadDashboard(path string) (Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Dashboard{}, fmt.Errorf("load dashboard: %w", err)
	}
	d, err := ParseDashboard(b)
	if err != nil {
		return Dashboard{}, fmt.Errorf("load dashboard %s: %w", path, err)
	}
	return d, nil
}

// ParseDashboard decodes a Grafana dashboard's JSON model.
func ParseDashboard(b []byte) (Dashboard, error) {
	var raw struct {
		Title      string  `json:"title"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name       string          `json:"name"`
				Type       string          `json:"type"`
				Query      json.RawMessage `json:"query"`
				Definition string          `json:"definition"`
				AllValue   string          `json:"allValue"`
				IncludeAll bool            `json:"includeAll"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Dashboard{}, fmt.Errorf("decode: %w", err)
	}
	d := Dashboard{Title: raw.Title}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) != "" {
					d.Queries = append(d.Queries, Query{Panel: p.Title, RefID: t.RefID, Expr: t.Expr})
				}
			}
			walk(p.Panels)
		}
	}
	walk(raw.Panels)
	for _, v := range raw.Templating.List {
		q, err := variableQuery(v.Query, v.Definition)
		if err != nil {
			return Dashboard{}, fmt.Errorf("variable %s: %w", v.Name, err)
		}
		d.Variables = append(d.Variables, Variable{
			Name: v.Name, Type: v.Type, Query: q, AllValue: v.AllValue, IncludeAll: v.IncludeAll,
		})
	}
	return d, nil
}

// variableQuery returns a variable's query, which Grafana stores either as a
// string or, for Prometheus variables, as an object with a "query" field.
func variableQuery(raw json.RawMessage, definition string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return definition, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("decode query: %w", err)
	}
	if obj.Query == "" {
		return definition, nil
	}
	return obj.Query, nil
}

// Expand replaces the template variables of expr ($name, ${name} and
// [[name]]) with the given values, longest names first so that $topic does
// not eat $topics. It returns an error naming any variable left unexpanded,
// so a dashboard that grows a variable the checks do not know fails loudly.
func Expand(expr string, values map[string]string) (string, error) {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
	out := expr
	for _, n := range names {
		v := values[n]
		out = strings.ReplaceAll(out, "${"+n+"}", v)
		out = strings.ReplaceAll(out, "[["+n+"]]", v)
		out = strings.ReplaceAll(out, "$"+n, v)
	}
	for i := 0; i+1 < len(out); i++ {
		if out[i] != '$' || !(out[i+1] == '_' || out[i+1] == '{' || isLetter(out[i+1])) {
			continue // a regular expression's end anchor, not a variable
		}
		end := i + 1
		for end < len(out) && (out[end] == '_' || out[end] == '{' || out[end] == '}' || isLetter(out[end]) || isDigit(out[end])) {
			end++
		}
		return "", fmt.Errorf("expand %q: unknown variable %s", expr, out[i:end])
	}
	return out, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
