package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// LakeFormat names how the lake's tables are laid out and committed.
type LakeFormat string

// The lake formats.
const (
	// FormatHive is the default: Hive-partitioned folders of Parquet,
	// committed by landerd's state.json alone.
	FormatHive LakeFormat = "hive"
	// FormatIceberg lands the same files as Apache Iceberg tables (format
	// version 2), each flush also committed as one snapshot per table.
	FormatIceberg LakeFormat = "iceberg"
)

// The Iceberg catalog types.
const (
	// CatalogSQL keeps the tables' metadata pointers in a PostgreSQL
	// database (Iceberg's JDBC/SQL catalog).
	CatalogSQL = "sql"
	// CatalogHadoop keeps them as version files beside the tables (the
	// Hadoop or filesystem catalog).
	CatalogHadoop = "hadoop"
)

// DefaultIcebergNamespace is the default lake.iceberg.namespace.
const DefaultIcebergNamespace = "landerd"

// Iceberg configures the Iceberg tables; used, and checked, only when
// Lake.Format is FormatIceberg.
type Iceberg struct {
	// Catalog is where the tables are registered.
	Catalog IcebergCatalog `yaml:"catalog"`
	// Namespace holds the tables attempts, questions and _quarantine; their
	// files live under <lake>/<namespace>/<table>/.
	Namespace string `yaml:"namespace"`
	// Upkeep is the compaction and snapshot expiry the daemon runs itself.
	Upkeep Upkeep `yaml:"upkeep"`
}

// Upkeep configures the daemon's own upkeep of its Iceberg tables: one
// member of the group (the one assigned partition 0 of the first topic it
// consumes) compacts every table, then expires its old snapshots, then
// deletes the files no snapshot references any more, every Every. It is
// off (Every 0) by default; landerd compact, landerd expire and landerd
// remove-orphans do the same work once.
type Upkeep struct {
	// Every is the time between two upkeep passes; 0 turns the upkeep off.
	// At least MinUpkeepEvery otherwise.
	Every time.Duration `yaml:"every"`
	// TargetFileSize is the size of the files compaction writes; at least
	// 1MiB.
	TargetFileSize ByteSize `yaml:"target_file_size"`
	// ExpireOlderThan is the age past which a snapshot is expired from a
	// table's metadata (no file is deleted). Positive.
	ExpireOlderThan time.Duration `yaml:"expire_older_than"`
	// RetainLast is how many of the newest snapshots are kept whatever
	// their age; at least 1.
	RetainLast int `yaml:"retain_last"`
	// RemoveOrphansOlderThan is the age (since last written) past which a
	// file that no snapshot references is deleted, sparing those a
	// partition's state.json names; 0 deletes none. At least
	// MinOrphanOlderThan otherwise.
	RemoveOrphansOlderThan time.Duration `yaml:"remove_orphans_older_than"`
}

// Enabled reports whether the daemon runs the upkeep.
func (u Upkeep) Enabled() bool { return u.Every > 0 }

// MinUpkeepEvery is the shortest lake.iceberg.upkeep.every accepted: a
// compaction reads every manifest of a table, and commits only if no flush
// lands while it stages.
const MinUpkeepEvery = time.Minute

// MinOrphanOlderThan is the least age at which a file no snapshot
// references may be deleted: the age is what spares the new files of a
// commit in progress (a compaction's, until its snapshot is committed),
// so it must exceed the longest such commit.
const MinOrphanOlderThan = time.Hour

// IcebergCatalog configures the Iceberg catalog.
type IcebergCatalog struct {
	// Type is CatalogSQL or CatalogHadoop.
	Type string `yaml:"type"`
	// URI is the PostgreSQL database of a CatalogSQL catalog, as
	// postgres://user@host:port/database?sslmode=...; it must not hold a
	// password. Empty for CatalogHadoop.
	URI string `yaml:"uri"`
	// Password is the PostgreSQL password of the URI's user; empty when
	// the server needs none. It never prints.
	Password Secret `yaml:"password"`
}

// IsIceberg reports whether the lake lands Iceberg tables.
func (l Lake) IsIceberg() bool { return l.Format == FormatIceberg }

// validNamespace is an Iceberg namespace landerd accepts: one level, a
// lowercase name that is also a safe directory name.
var validNamespace = regexp.MustCompile(`\A[a-z][a-z0-9_]{0,62}\z`)

func (c Config) validateIceberg(p *problems) {
	l := c.Lake
	oneOf(p, "lake.format", l.Format, FormatHive, FormatIceberg)
	ice := l.Iceberg
	if !l.IsIceberg() {
		if ice != Default().Lake.Iceberg {
			p.add("lake.iceberg", "set but lake.format is not iceberg")
		}
		return
	}
	if !validNamespace.MatchString(ice.Namespace) {
		p.add("lake.iceberg.namespace", "%q must be a lowercase letter followed by at most 62 lowercase letters, digits and '_'", ice.Namespace)
	}
	switch ice.Catalog.Type {
	case CatalogSQL:
		if err := checkCatalogURI(ice.Catalog.URI); err != nil {
			p.addErr("lake.iceberg.catalog.uri", err)
		}
	case CatalogHadoop:
		if ice.Catalog.URI != "" || ice.Catalog.Password != "" {
			p.add("lake.iceberg.catalog", "uri or password set but a hadoop catalog takes neither: it keeps its metadata in the lake")
		}
	default:
		p.add("lake.iceberg.catalog.type", "%q is not one of %s, %s", ice.Catalog.Type, CatalogSQL, CatalogHadoop)
	}
	up := ice.Upkeep
	if up.Every < 0 || (up.Every > 0 && up.Every < MinUpkeepEvery) {
		p.add("lake.iceberg.upkeep.every", "%s: want 0 (no upkeep) or at least %s", up.Every, MinUpkeepEvery)
	}
	if up.TargetFileSize < MiB {
		p.add("lake.iceberg.upkeep.target_file_size", "%s: want at least 1MiB", up.TargetFileSize)
	}
	if up.ExpireOlderThan <= 0 {
		p.add("lake.iceberg.upkeep.expire_older_than", "%s: want a positive age", up.ExpireOlderThan)
	}
	if up.RetainLast < 1 {
		p.add("lake.iceberg.upkeep.retain_last", "%d: want at least 1", up.RetainLast)
	}
	if up.RemoveOrphansOlderThan < 0 || (up.RemoveOrphansOlderThan > 0 && up.RemoveOrphansOlderThan < MinOrphanOlderThan) {
		p.add("lake.iceberg.upkeep.remove_orphans_older_than", "%s: want 0 (delete none) or at least %s", up.RemoveOrphansOlderThan, MinOrphanOlderThan)
	}
	// What the Iceberg layout does not implement yet is refused, never
	// landed some other way.
	// A hadoop catalog places a namespace's tables under the warehouse
	// itself, where the tenants' folders could not be kept apart.
	if c.Tenancy.Enabled() && ice.Catalog.Type == CatalogHadoop {
		p.add("lake.iceberg.catalog.type", "hadoop with tenancy (tenancy.source %s) is not supported: each tenant's tables need a location of their own, which the sql catalog gives", c.Tenancy.Source)
	}
	// On HDFS the hadoop catalog commits with a rename without OVERWRITE,
	// which landerd sends over a connection of its own that has no SASL
	// handshake.
	if l.IsHDFS() && ice.Catalog.Type == CatalogHadoop && c.HDFS.Kerberos.Enabled {
		p.add("lake.iceberg.catalog.type", "hadoop on a Kerberized hdfs:// lake is not supported yet (its atomic commit needs a rename without overwrite, not implemented with Kerberos): use the sql catalog")
	}
}

// checkCatalogURI accepts the PostgreSQL URL of a SQL catalog.
func checkCatalogURI(raw string) error {
	if raw == "" {
		return fmt.Errorf("must be set for a %s catalog (postgres://user@host:port/database)", CatalogSQL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("invalid URL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("scheme %q: want postgres://user@host:port/database", u.Scheme)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return errors.New("must not contain a password: set lake.iceberg.catalog.password or LANDERD_ICEBERG_CATALOG_PASSWORD")
		}
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%s: needs a host (postgres://user@host:port/database)", redactURL(u))
	}
	if strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("%s: needs a database (postgres://user@host:port/database)", redactURL(u))
	}
	return nil
}

// redactURL prints u without any password.
func redactURL(u *url.URL) string { return u.Redacted() }
