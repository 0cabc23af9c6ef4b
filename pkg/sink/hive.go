package sink

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"time"
)

// The Hive partitions of a table's data files, the path between the table
// and the file:
//
//	ingest_date=2026-11-24                  one date level (DatePartition)
//	event_date=null                         the rows of a null date, in Iceberg tables only (NullPartition)
//	tenant=pearson/ingest_date=2026-11-24   a tenant level first, when tenancy is on (TenantHive)
//
// Each level is a key=value directory name, which Hive-style readers turn
// into a column. This file holds every rule of these names: how they are
// built, how the tenant is read back from them, and what a tenant's name
// may be.

// TenantKey is the Hive key of the tenant partition level:
// <table>/tenant=<T>/...
const TenantKey = "tenant"

// UnassignedTenant is the tenant of records whose tenant is missing or
// unknown. It is not a valid tenant name, so it never collides with one.
const UnassignedTenant = "_unassigned"

// TenantNameForm is the form of a tenant's name, as a regular expression
// (unanchored): what a Hive partition value and an HDFS path element can
// hold without escaping anywhere.
const TenantNameForm = `[a-z0-9][a-z0-9_-]{0,62}`

// MaxTenantLength is the length of the longest name TenantNameForm allows.
const MaxTenantLength = 63

// tenantName is TenantNameForm, anchored.
var tenantName = regexp.MustCompile(`^` + TenantNameForm + `$`)

// ValidTenant reports whether name can name a tenant: whether it has
// TenantNameForm. [UnassignedTenant] cannot.
func ValidTenant(name string) bool { return tenantName.MatchString(name) }

// TenantPartition returns the name of tenant's directory, the first Hive
// level of every table in a multi-tenant lake: "tenant=pearson".
func TenantPartition(tenant string) string { return TenantKey + "=" + tenant }

// TenantHive returns the Hive partition hive under tenant's directory:
// "tenant=pearson/ingest_date=2026-11-24" for hive "ingest_date=2026-11-24".
func TenantHive(tenant, hive string) string { return path.Join(TenantPartition(tenant), hive) }

// TenantOf returns the tenant whose directory is the first level of the
// Hive partition hive ("pearson" of "tenant=pearson/ingest_date=2026-11-24"
// and of "tenant=pearson"), and "", false when that level is no tenant's.
// The name is not checked against [ValidTenant].
func TenantOf(hive string) (string, bool) {
	level, _, _ := strings.Cut(hive, "/")
	tenant, ok := strings.CutPrefix(level, TenantKey+"=")
	if !ok {
		return "", false
	}
	return tenant, true
}

// DatePartition returns the Hive partition level of column holding t's
// UTC date: "ingest_date=2026-11-24" for column "ingest_date".
func DatePartition(column string, t time.Time) string {
	return column + "=" + t.UTC().Format(time.DateOnly)
}

// NullValue is the value of a date partition level holding rows whose
// date column is null: Iceberg's own writers name that folder
// <column>=null. The Hive layout never has one: it places such rows by
// their landing date.
const NullValue = "null"

// NullPartition returns the partition level of column's null partition:
// "event_date=null" for column "event_date".
func NullPartition(column string) string { return column + "=" + NullValue }

// checkHive accepts "" or a path of key=value elements.
func checkHive(hive string) error {
	if hive == "" {
		return nil
	}
	if !fs.ValidPath(hive) {
		return fmt.Errorf("invalid hive partition %q", hive)
	}
	for _, elem := range strings.Split(hive, "/") {
		if k, _, ok := strings.Cut(elem, "="); !ok || k == "" || strings.HasPrefix(elem, "_") || strings.HasPrefix(elem, ".") {
			return fmt.Errorf("invalid hive partition %q: want key=value elements", hive)
		}
	}
	return nil
}
