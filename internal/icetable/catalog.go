package icetable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
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
	// Root is the lake root as an absolute local path.
	Root string
	// Namespace is the tables' namespace: their folder under Root.
	Namespace string
}

// URI is the lake root as a file:// URL, the prefix of every table
// location and data file path.
func (l Location) URI() string { return (&url.URL{Scheme: "file", Path: l.Root}).String() }

// LocationOf returns where cfg's lake keeps its Iceberg tables. Only local
// lakes are supported yet (config.Validate refuses the others).
func LocationOf(cfg config.Config) (Location, error) {
	loc, err := cfg.Lake.Location()
	if err != nil {
		return Location{}, err
	}
	if loc.Scheme != config.SchemeFile {
		return Location{}, fmt.Errorf("iceberg tables on a %s lake are not supported yet", loc.Scheme)
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
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("iceberg sql catalog %s: %w", redacted(cfg.URI), err), db.Close())
		}
		return cat, func() error { return errors.Join(cat.Close(), db.Close()) }, nil
	case config.CatalogHadoop:
		cat, err := hadoop.NewCatalog(catalogName, loc.URI(), iceberg.Properties{})
		if err != nil {
			return nil, nil, fmt.Errorf("iceberg hadoop catalog %s: %w", loc.URI(), err)
		}
		return cat, cat.Close, nil
	default:
		return nil, nil, fmt.Errorf("iceberg catalog type %q is not supported", cfg.Type)
	}
}

// redacted prints a catalog URL without any password.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
