package icetable

import (
	"context"
	"errors"
	"testing"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// TestTenantLayout checks where a tenant's tables live: namespace
// <ns>_<tenant>, folder <ns>/tenant=<tenant>/<table> (which pkg/sink's
// access rules give the tenant's group: TestAccessOf there); and that a
// file published there is known as the tenant's.
func TestTenantLayout(t *testing.T) {
	l := newLake(t)
	tb, _ := l.tables(nil)
	for _, c := range []struct {
		table, hive, want string
	}{
		{flatten.TableAttempts, "ingest_date=2026-11-24", "landerd/attempts/data/ingest_date=2026-11-24"},
		{flatten.TableAttempts, "tenant=pearson/ingest_date=2026-11-24", "landerd/tenant=pearson/attempts/data/ingest_date=2026-11-24"},
		{flatten.TableQuarantine, "tenant=_unassigned/ingest_date=2026-11-24", "landerd/tenant=_unassigned/_quarantine/data/ingest_date=2026-11-24"},
	} {
		got := tb.DataDir(c.table, c.hive)
		if got != c.want {
			t.Errorf("DataDir(%s, %s) = %s, want %s", c.table, c.hive, got, c.want)
		}
		tenant, _ := sink.TenantOf(c.hive)
		if g := tb.TenantDataDir(tenant, c.table) + "/" + "ingest_date=2026-11-24"; g != c.want {
			t.Errorf("TenantDataDir(%q, %s) = %s, want the folder of %s", tenant, c.table, g, c.want)
		}
		of, err := tb.TenantOf(sink.StateFile{Table: c.table, Final: got + "/f.parquet"})
		if err != nil || of != tenant {
			t.Errorf("TenantOf(file in %s) = %q, %v; want %q", got, of, err, tenant)
		}
	}
	if got := tb.NamespaceOf("pearson"); got != "landerd_pearson" {
		t.Errorf("NamespaceOf(pearson) = %s, want landerd_pearson", got)
	}
	if got := tb.NamespaceOf(""); got != "landerd" {
		t.Errorf(`NamespaceOf("") = %s, want landerd`, got)
	}
	if _, err := tb.TenantOf(sink.StateFile{Table: flatten.TableAttempts, Final: "attempts/tenant=pearson/x.parquet"}); !errors.Is(err, ErrForeignTable) {
		t.Errorf("TenantOf(a Hive layout file) = %v, want ErrForeignTable", err)
	}
	// The hadoop catalog cannot give a tenant's tables a folder of their
	// own: refused, never landed elsewhere.
	if err := tb.PrepareTenant(context.Background(), "pearson"); !errors.Is(err, ErrForeignTable) {
		t.Errorf("PrepareTenant on a hadoop catalog = %v, want ErrForeignTable", err)
	}
}
