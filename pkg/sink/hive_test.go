package sink

import (
	"strings"
	"testing"
	"time"
)

// TestValidTenant holds the cases of every caller of the rule: the
// configuration's tenants, the report's --tenant and NewAccess.
func TestValidTenant(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"pearson", true},
		{"acme_2", true},
		{"a-1_b", true},
		{"oreilly", true},
		{"a", true},
		{"0", true},
		{"9lives", true},
		{strings.Repeat("a", MaxTenantLength), true},
		{strings.Repeat("a", MaxTenantLength+1), false},
		{"", false},
		{"Pearson", false},
		{UnassignedTenant, false},
		{"-a", false},
		{"a b", false},
		{"a.b", false},
		{"a/b", false},
		{"a/../b", false},
		{"a\n", false},
		{"\na", false},
		{"tenant=a", false},
		{"é", false},
	}
	for _, tc := range tests {
		if got := ValidTenant(tc.name); got != tc.want {
			t.Errorf("ValidTenant(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTenantPartition(t *testing.T) {
	tests := []struct {
		tenant, hive string
		dir, full    string // TenantPartition(tenant), TenantHive(tenant, hive)
	}{
		{"acme", "ingest_date=2026-11-25", "tenant=acme", "tenant=acme/ingest_date=2026-11-25"},
		{"pearson", "event_date=2026-11-24", "tenant=pearson", "tenant=pearson/event_date=2026-11-24"},
		{UnassignedTenant, "ingest_date=2026-11-24", "tenant=_unassigned", "tenant=_unassigned/ingest_date=2026-11-24"},
		{"x", "", "tenant=x", "tenant=x"},
	}
	for _, tc := range tests {
		if got := TenantPartition(tc.tenant); got != tc.dir {
			t.Errorf("TenantPartition(%q) = %q, want %q", tc.tenant, got, tc.dir)
		}
		got := TenantHive(tc.tenant, tc.hive)
		if got != tc.full {
			t.Errorf("TenantHive(%q, %q) = %q, want %q", tc.tenant, tc.hive, got, tc.full)
		}
		if back, ok := TenantOf(got); !ok || back != tc.tenant {
			t.Errorf("TenantOf(%q) = %q, %v; want %q", got, back, ok, tc.tenant)
		}
	}
}

func TestTenantOf(t *testing.T) {
	tests := []struct {
		hive   string
		tenant string
		ok     bool
	}{
		{"tenant=acme/ingest_date=2026-11-25", "acme", true},
		{"tenant=_unassigned/event_date=2026-11-25", "_unassigned", true},
		{"tenant=x", "x", true},
		{"tenant=", "", true},
		{"tenant=a/tenant=b", "a", true},
		{"ingest_date=2026-11-25", "", false},
		{"", "", false},
		{"tenants=a", "", false},
		{"tenant", "", false},
		{"Tenant=a", "", false},
		{"ingest_date=2026-11-25/tenant=a", "", false},
	}
	for _, tc := range tests {
		if got, ok := TenantOf(tc.hive); got != tc.tenant || ok != tc.ok {
			t.Errorf("TenantOf(%q) = %q, %v; want %q, %v", tc.hive, got, ok, tc.tenant, tc.ok)
		}
	}
}

func FuzzTenantOf(f *testing.F) {
	f.Add("tenant=acme/ingest_date=2026-11-25")
	f.Add("tenant=")
	f.Add("ingest_date=2026-11-25")
	f.Fuzz(func(t *testing.T, hive string) {
		tenant, ok := TenantOf(hive)
		if !ok {
			if tenant != "" {
				t.Fatalf("TenantOf(%q) = %q, false", hive, tenant)
			}
			return
		}
		rest, found := strings.CutPrefix(hive, TenantPartition(tenant))
		if !found || rest != "" && rest[0] != '/' {
			t.Fatalf("TenantOf(%q) = %q, which is not its first level", hive, tenant)
		}
	})
}

func TestDatePartition(t *testing.T) {
	plus5 := time.FixedZone("+05", 5*60*60)
	tests := []struct {
		column string
		t      time.Time
		want   string
	}{
		{"ingest_date", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), "ingest_date=2026-11-24"},
		{"event_date", time.Date(2026, 11, 24, 23, 59, 59, 999999999, time.UTC), "event_date=2026-11-24"},
		{"ingest_date", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), "ingest_date=2026-11-25"},
		// The UTC date, not the zone's.
		{"ingest_date", time.Date(2026, 11, 25, 3, 0, 0, 0, plus5), "ingest_date=2026-11-24"},
		{"event_date", time.Unix(-1, 0), "event_date=1969-12-31"},
		{"event_date", time.Unix(0, 0), "event_date=1970-01-01"},
	}
	for _, tc := range tests {
		got := DatePartition(tc.column, tc.t)
		if got != tc.want {
			t.Errorf("DatePartition(%q, %s) = %q, want %q", tc.column, tc.t, got, tc.want)
		}
		if err := checkHive(got); err != nil {
			t.Errorf("DatePartition(%q, %s) = %q: %v", tc.column, tc.t, got, err)
		}
	}
}

func TestCheckHive(t *testing.T) {
	tests := []struct {
		hive string
		ok   bool
	}{
		{"", true},
		{"ingest_date=2026-11-24", true},
		{"tenant=pearson", true},
		{"tenant=pearson/ingest_date=2026-11-24", true},
		{"tenant=nobody", true},
		{"tenant=/x=", true},
		{"../x", false},
		{"_landerd", false},
		{"nokey", false},
		{"=x", false},
		{"_x=y", false},
		{".x=y", false},
		{"tenant=a/", false},
		{"/tenant=a", false},
		{"tenant=a//x=b", false},
		{"tenant=a/nokey", false},
	}
	for _, tc := range tests {
		if err := checkHive(tc.hive); (err == nil) != tc.ok {
			t.Errorf("checkHive(%q) = %v, want ok %v", tc.hive, err, tc.ok)
		}
	}
}
