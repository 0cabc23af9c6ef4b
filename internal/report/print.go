package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/landerd/landerd/pkg/sink"
)

// WriteJSON writes r as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteText writes r as tables for people: one line per question, with the
// figure over raw rows and over attempts deduplicated by keen_id ("same"
// where they agree), then both ends of the course ranking.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	raw, dd := &r.Raw, &r.Dedup
	ew.printf("Business questions, answered from %s\n", r.Lake)
	switch {
	case r.Tenant != "":
		ew.printf("tenant %s only: attempts/tenant=%s and _quarantine/tenant=%s\n", r.Tenant, r.Tenant, r.Tenant)
	case r.MultiTenant:
		ew.printf("all tenants (%s): the whole lake; %s quarantined rows have no known tenant (tenant=%s)\n",
			tenantList(r.Tenants), num(r.UnassignedRows), sink.UnassignedTenant)
	}
	ew.printf("\n")
	ew.printf("attempts: %s rows in %s files, %s distinct keen_id", num(raw.Attempts), num(int64(r.Files)), num(dd.Attempts))
	if d := raw.Attempts - dd.Attempts; d > 0 {
		ew.printf(" (%s rows resend an attempt already landed)", num(d))
	}
	ew.printf("; _quarantine: %s rows (not attempts, in no figure)\n", num(r.QuarantinedRows))
	ew.printf("raw = every row of attempts; dedup = one row per keen_id (its lowest kafka_partition, kafka_offset)\n\n")

	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	row := func(q, what, counts, rawV, ddV string) {
		if rawV == ddV {
			ddV = "same"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", q, what, counts, rawV, ddV)
	}
	row("#", "question", "what is counted", "raw rows", "dedup by keen_id")
	row("1", "assessments in the data set", "distinct base_exam_id", num(raw.Assessments), num(dd.Assessments))
	row("2", "Kafka topic", "kafka_topic lineage (attempts)", topics(raw.Topics), topics(dd.Topics))
	row("3", fmt.Sprintf("people who took %q", r.Course), "attempts at it (no learner id in the data)", num(raw.CourseAttempts), num(dd.CourseAttempts))
	row("4", "courses taken most and least", "attempts per exam_name", fmt.Sprintf("%s courses, see below", num(int64(raw.Courses))), fmt.Sprintf("%s courses, see below", num(int64(dd.Courses))))
	row("5", "overall average score", "avg(score), attempts with a score", avgScore(raw), avgScore(dd))
	row("6", fmt.Sprintf("share that passed (score > %s)", threshold(r.PassThreshold)), "passed / attempts with a score", passShare(raw), passShare(dd))
	row("7", "average time to complete", "avg(completed_at - started_at), where known", avgDuration(raw), avgDuration(dd))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}

	ew.printf("\n4. courses by attempts: top and bottom %d, with every course tied with the last place\n", r.RankingSize)
	for _, end := range []struct {
		title     string
		raw, dedu []CourseRank
	}{
		{"most taken", raw.MostTaken, dd.MostTaken},
		{"least taken", raw.LeastTaken, dd.LeastTaken},
	} {
		list := merge(end.raw, end.dedu)
		width := len(end.title)
		for _, c := range list {
			width = max(width, len(c.name))
		}
		ew.printf("\n  %-*s  %8s  %8s  %10s  %8s\n", width, end.title, "raw rank", "attempts", "dedup rank", "attempts")
		for _, c := range list {
			ew.printf("  %-*s  %8s  %8s  %10s  %8s\n", width, c.name, rankText(c.raw), attemptsText(c.raw), rankText(c.dedup), attemptsText(c.dedup))
		}
	}
	if r.GapsUnreadable {
		ew.printf("\ngaps lost to Kafka retention: unknown, %s is not readable with these permissions\n", sink.ControlDir)
	}
	if len(r.Gaps) > 0 {
		var lost int64
		for _, g := range r.Gaps {
			lost += g.Offsets
		}
		ew.printf("\nlost to Kafka retention before landing: %s offsets in %d gaps (docs/operations.md)\n", num(lost), len(r.Gaps))
		for _, g := range r.Gaps {
			state := "skipped, landing resumed after it"
			if !g.Skipped {
				state = "partition refused on it"
			}
			ew.printf("  %s partition %d offsets %d..%d (%s), detected %s, %s\n", g.Topic, g.Partition, g.First, g.Last,
				num(g.Offsets), g.DetectedAt.UTC().Format(time.RFC3339), state)
		}
	}
	if ew.err != nil {
		return fmt.Errorf("write report: %w", ew.err)
	}
	return nil
}

// errWriter keeps the first write error, so printing can go on unchecked.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

// mergedCourse is a course listed at one end of the ranking of either
// basis, with its place in each list (nil when that list omits it).
type mergedCourse struct {
	name       string
	raw, dedup *CourseRank
}

func rankText(c *CourseRank) string {
	if c == nil {
		return "-"
	}
	return strconv.Itoa(c.Rank)
}

func attemptsText(c *CourseRank) string {
	if c == nil {
		return "-"
	}
	return num(c.Attempts)
}

// merge lists the courses of both lists, in dedup order, then the courses
// listed only over raw rows, in raw order.
func merge(raw, dedup []CourseRank) []mergedCourse {
	find := func(list []CourseRank, name string) *CourseRank {
		i := slices.IndexFunc(list, func(c CourseRank) bool { return c.ExamName == name })
		if i < 0 {
			return nil
		}
		return &list[i]
	}
	var out []mergedCourse
	for i := range dedup {
		out = append(out, mergedCourse{name: dedup[i].ExamName, raw: find(raw, dedup[i].ExamName), dedup: &dedup[i]})
	}
	for i := range raw {
		if find(dedup, raw[i].ExamName) == nil {
			out = append(out, mergedCourse{name: raw[i].ExamName, raw: &raw[i]})
		}
	}
	return out
}

// threshold formats the pass threshold with at least two decimals: 0.70.
func threshold(t float64) string {
	s := strconv.FormatFloat(t, 'f', -1, 64)
	if short := fmt.Sprintf("%.2f", t); len(short) > len(s) {
		return short
	}
	return s
}

func topics(ts []TopicCount) string {
	if len(ts) == 0 {
		return "none"
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%s (%s)", t.Topic, num(t.Attempts))
	}
	return strings.Join(parts, ", ")
}

func avgScore(f *Figures) string {
	if f.AvgScore == nil {
		return "no scores"
	}
	return fmt.Sprintf("%.4f of %s", *f.AvgScore, num(f.Scored))
}

func passShare(f *Figures) string {
	if f.PassShare == nil {
		return "no scores"
	}
	return fmt.Sprintf("%.2f%% (%s of %s)", *f.PassShare*100, num(f.Passed), num(f.Scored))
}

func avgDuration(f *Figures) string {
	if f.AvgDurationSeconds == nil {
		return "no durations"
	}
	d := time.Duration(*f.AvgDurationSeconds * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%s s = %s, of %s", strconv.FormatFloat(*f.AvgDurationSeconds, 'f', 1, 64), d, num(f.Timed))
}

// tenantList names the tenants, or says there are none.
func tenantList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d: %s", len(names), strings.Join(names, ", "))
}

// num formats n with thousands separators: 3,280.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
