package iceberg

import (
	"bufio"
	"bytes"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/test/system/postgres"
)

// SnippetOut is what a snippet of docs/iceberg printed.
type SnippetOut struct {
	// Attempts and Distinct are the rows and distinct keen_ids now.
	Attempts, Distinct int64
	// Snapshots are the snapshot ids listed, in order, and Rows their rows.
	Snapshots []int64
	Rows      map[int64]int64
	// MeanScore is pandas' mean score (pyiceberg_sql.py).
	MeanScore float64
	// Metadata is the metadata file named (pyiceberg_sql.py).
	Metadata string
}

// RunSnippet runs docs/iceberg/<name> in the Iceberg venv with env and
// parses its lines: "attempts: N", "distinct keen_id: N", "snapshot S rows
// N", "mean score: X", "metadata file: F".
func RunSnippet(t testing.TB, env []string, name string) SnippetOut {
	t.Helper()
	start := time.Now()
	out := Python(t, env, filepath.Join("..", "docs", "iceberg", name))
	t.Logf("docs/iceberg/%s ran in %s", name, time.Since(start).Round(100*time.Millisecond))
	s := SnippetOut{Rows: map[int64]int64{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		var err error
		switch f := strings.Fields(line); {
		case strings.HasPrefix(line, "attempts: "):
			s.Attempts, err = strconv.ParseInt(f[1], 10, 64)
		case strings.HasPrefix(line, "distinct keen_id: "):
			s.Distinct, err = strconv.ParseInt(f[2], 10, 64)
		case strings.HasPrefix(line, "mean score: "):
			s.MeanScore, err = strconv.ParseFloat(f[2], 64)
		case strings.HasPrefix(line, "metadata file: "):
			s.Metadata = f[2]
		case len(f) == 4 && f[0] == "snapshot" && f[2] == "rows":
			var id, n int64
			if id, err = strconv.ParseInt(f[1], 10, 64); err == nil {
				n, err = strconv.ParseInt(f[3], 10, 64)
			}
			s.Snapshots = append(s.Snapshots, id)
			s.Rows[id] = n
		}
		if err != nil {
			t.Fatalf("docs/iceberg/%s printed %q: %v", name, line, err)
		}
	}
	return s
}

// CheckSnippet compares what a snippet printed with landerd's reports:
// the rows and distinct keen_ids now, each step's rows at its snapshot,
// and rows that never shrink from one snapshot to the next, the last
// snapshot's being the current count.
func CheckSnippet(t testing.TB, name string, s SnippetOut, l *Landed) {
	t.Helper()
	final := l.Reports[len(l.Reports)-1]
	if s.Attempts != final.Raw.Attempts || s.Distinct != final.Dedup.Attempts {
		t.Errorf("docs/iceberg/%s: %d attempts, %d distinct keen_id; report %d, %d", name, s.Attempts, s.Distinct, final.Raw.Attempts, final.Dedup.Attempts)
	}
	for i, id := range l.Snapshots {
		if n, ok := s.Rows[id]; !ok || n != l.Reports[i].Raw.Attempts {
			t.Errorf("docs/iceberg/%s: snapshot %d (step %d) has %d rows (listed %v), want %d", name, id, i+1, n, ok, l.Reports[i].Raw.Attempts)
		}
	}
	var prev int64
	for _, id := range s.Snapshots {
		if s.Rows[id] < prev {
			t.Errorf("docs/iceberg/%s: snapshot %d has %d rows, fewer than the one before (%d)", name, id, s.Rows[id], prev)
		}
		prev = s.Rows[id]
	}
	if len(s.Snapshots) == 0 || prev != s.Attempts {
		t.Errorf("docs/iceberg/%s: the last of %d snapshots has %d rows, %d now", name, len(s.Snapshots), prev, s.Attempts)
	}
	t.Logf("docs/iceberg/%s: %d attempts, %d distinct keen_id, %d snapshots", name, s.Attempts, s.Distinct, len(s.Snapshots))
}

// SQLAlchemyURL is pg's database as pyiceberg's SqlCatalog takes it.
func SQLAlchemyURL(t testing.TB, pg *postgres.Server) string {
	u, err := url.Parse(pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme = "postgresql+psycopg2"
	u.User = url.UserPassword(pg.User(), pg.Password())
	return u.String()
}
