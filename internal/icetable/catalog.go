package icetable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/hadoop"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/landerd/landerd/internal/config"
)

// catalogName names landerd's catalog in iceberg-go (and in its SQL
// catalog's rows: the catalog_name column).
const catalogName = "landerd"

// catalogTimeout bounds every connection, read and write of the SQL
// catalog's PostgreSQL client, so that a catalog that stops answering
// fails a commit instead of hanging it.
const catalogTimeout = 15 * time.Second

// Location is where a lake's Iceberg tables live.
type Location struct {
	// Host is the NameNode (host:port) of an HDFS lake; empty for a local
	// one.
	Host string
	// Root is the lake root as an absolute path: local, or on HDFS when
	// Host is set.
	Root string
	// Namespace is the tables' namespace: their folder under Root.
	Namespace string
}

// URI is the lake root as a file:// or hdfs:// URL, the prefix of every
// table location and data file path.
func (l Location) URI() string {
	if l.Host != "" {
		return (&url.URL{Scheme: config.SchemeHDFS, Host: l.Host, Path: l.Root}).String()
	}
	return (&url.URL{Scheme: "file", Path: l.Root}).String()
}

// IsHDFS reports whether the tables live on HDFS. iceberg-go reaches them
// there through internal/iceio, with which the lake's filesystem must be
// registered before the catalog opens.
func (l Location) IsHDFS() bool { return l.Host != "" }

// LocationOf returns where cfg's lake keeps its Iceberg tables.
func LocationOf(cfg config.Config) (Location, error) {
	loc, err := cfg.Lake.Location()
	if err != nil {
		return Location{}, err
	}
	switch loc.Scheme {
	case config.SchemeHDFS:
		return Location{Host: loc.Host, Root: path.Clean(loc.Path), Namespace: cfg.Lake.Iceberg.Namespace}, nil
	case config.SchemeFile:
	default:
		return Location{}, fmt.Errorf("iceberg tables on a %s lake are not supported", loc.Scheme)
	}
	root, err := filepath.Abs(loc.Path)
	if err != nil {
		return Location{}, fmt.Errorf("lake root: %w", err)
	}
	return Location{Root: filepath.ToSlash(root), Namespace: cfg.Lake.Iceberg.Namespace}, nil
}

// openCatalog connects to the catalog cfg names. readOnly leaves a SQL
// catalog's own tables as they are (a report creates nothing); otherwise
// they are created when missing. The returned func closes what was opened.
func openCatalog(ctx context.Context, cfg config.IcebergCatalog, loc Location, readOnly bool) (catalog.Catalog, func() error, error) {
	switch cfg.Type {
	case config.CatalogSQL:
		db := sql.OpenDB(pgdriver.NewConnector(
			pgdriver.WithDSN(cfg.URI),
			pgdriver.WithPassword(cfg.Password.Value()),
			pgdriver.WithApplicationName("landerd"),
			pgdriver.WithTimeout(catalogTimeout),
		))
		db.SetConnMaxIdleTime(time.Minute)
		// NewCatalog creates its tables without a context: ping first, so
		// that an unreachable server fails here, bounded by ctx.
		if err := db.PingContext(ctx); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("iceberg sql catalog %s: %w", redacted(cfg.URI), err), db.Close())
		}
		props := iceberg.Properties{"warehouse": loc.URI()}
		if readOnly {
			props["init_catalog_tables"] = "false"
		}
		cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.Postgres, props)
		// Replicas starting at once on a new database race to create the
		// catalog's tables; CREATE TABLE IF NOT EXISTS does not serialize
		// them in PostgreSQL, and the losers fail. The tables exist then.
		for try := 1; err != nil && try < 3 && concurrentCreate(err); try++ {
			cat, err = sqlcat.NewCatalog(catalogName, db, sqlcat.Postgres, props)
		}
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("iceberg sql catalog %s: %w", redacted(cfg.URI), err), db.Close())
		}
		return cat, func() error { return errors.Join(cat.Close(), db.Close()) }, nil
	case config.CatalogHadoop:
		props := iceberg.Properties{}
		if loc.IsHDFS() {
			// iceberg-go refuses any warehouse but a local one unless told
			// its commits are safe there. On HDFS they are: the catalog
			// commits vN.metadata.json with RenameNoReplace, which
			// internal/iceio implements with the NameNode's rename2 without
			// OVERWRITE (sink.HDFS.RenameNoReplace), a check-and-move under
			// the namesystem lock that fails when vN exists, so of
			// concurrent committers of one version exactly one wins
			// (docs/exactly-once.md).
			props["allow-unsafe-commits"] = "true"
		}
		cat, err := hadoop.NewCatalog(catalogName, loc.URI(), props)
		if err != nil {
			return nil, nil, fmt.Errorf("iceberg hadoop catalog %s: %w", loc.URI(), err)
		}
		return cat, cat.Close, nil
	default:
		return nil, nil, fmt.Errorf("iceberg catalog type %q is not supported", cfg.Type)
	}
}

// concurrentCreate reports whether err is PostgreSQL's refusal of a
// CREATE TABLE that another session ran at the same moment: a unique
// violation (23505) on its catalog entries, or its table or row type
// existing (42P07, 42710).
func concurrentCreate(err error) bool {
	var pe pgdriver.Error
	if !errors.As(err, &pe) {
		return false
	}
	code := pe.Field('C')
	return code == "23505" || code == "42P07" || code == "42710"
}

// redacted prints a catalog URL without any password.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
