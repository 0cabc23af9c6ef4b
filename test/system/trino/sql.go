package trino

import "strings"

// QuestionFiles are the shipped business questions of sql/trino, in
// order; sql/spark and sql/duckdb have files of the same names.
var QuestionFiles = []string{
	"01_assessments.sql", "02_topic.sql", "03_learning_git.sql", "04_course_ranking.sql",
	"05_average_score.sql", "06_pass_share.sql", "07_average_duration.sql",
}

// Statements splits a SQL script into its statements: comments (-- to the
// end of the line) are removed, and the text is cut at every semicolon
// outside string literals and quoted identifiers. Empty statements are
// dropped; the rest are trimmed.
func Statements(script string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	var quote byte // ' or " while inside a literal or quoted identifier
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case quote != 0:
			cur.WriteByte(c)
			if c == quote {
				// A doubled quote escapes itself and stays inside.
				if i+1 < len(script) && script[i+1] == quote {
					cur.WriteByte(c)
					i++
				} else {
					quote = 0
				}
			}
		case c == '\'' || c == '"':
			quote = c
			cur.WriteByte(c)
		case c == '-' && i+1 < len(script) && script[i+1] == '-':
			for i < len(script) && script[i] != '\n' {
				i++
			}
			cur.WriteByte('\n')
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}
