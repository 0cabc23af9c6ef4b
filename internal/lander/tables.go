package lander

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/landerd/landerd/pkg/sink"
)

// Tables is a table format kept beside the lake's files, such as Iceberg
// tables (internal/icetable): every published flush is committed to it
// too. Without one, the lake's state is a flush's only commit (the Hive
// layout).
type Tables interface {
	// DataDir is the folder, relative to the lake root, of a data file of
	// table in Hive partition hive (a tenant level first when tenancy is
	// on, sink.TenantHive).
	DataDir(table, hive string) string
	// FileSchema is the Arrow schema table's files are written with: the
	// table's own types, with the format's metadata (field ids).
	FileSchema(table string) (*arrow.Schema, error)
	// Commit commits the flush st records to the tables; committing one
	// that they hold already adds nothing.
	Commit(ctx context.Context, st *sink.State) error
}

// WithTables commits every published flush to tables before its offset is
// committed to Kafka, and, when a partition is claimed, its last published
// flush first (a crash may have come between the two). An owner publishes
// its next flush only once the last one is committed, so at most the one
// that state.json records can be missing from the tables.
//
// Such tables derive a row's partition from the row's own columns, so
// under lake.partition_by event_date an attempt with no started_at goes
// to the null partition, event_date=null, rather than to its landing date,
// and the questions rows, which have no started_at, are partitioned by
// ingest_date.
func WithTables(tables Tables) Option {
	return func(l *Lander) {
		l.conf.tables = watchedTables{Tables: tables, l: l}
		l.conf.ownPartitions = l.conf.partitionBy == partitionByEvent
		l.initErr = l.conf.useTables()
	}
}

// watchedTables records the outcome of every commit to the tables for
// readiness: while commits fail (the catalog is down, say) the lander is
// not ready, and says why, until one succeeds. A commit cut short by its
// context (a revoke, a shutdown) says nothing about the catalog.
type watchedTables struct {
	Tables
	l *Lander
}

func (w watchedTables) Commit(ctx context.Context, st *sink.State) error {
	err := w.Tables.Commit(ctx, st)
	if err != nil && ctx.Err() != nil {
		return err
	}
	w.l.mu.Lock()
	w.l.tablesErr = err
	w.l.mu.Unlock()
	return err
}

// useTables sets up the owners' Tables: the file schemas. It runs once,
// in New.
func (c *ownerConfig) useTables() error {
	if c.tables == nil {
		return nil
	}
	for i, t := range tables {
		s, err := c.tables.FileSchema(t.Name)
		if err != nil {
			return err
		}
		c.schemas[i] = s
	}
	return nil
}

// fileSchema is the schema of table t's files.
func (c *ownerConfig) fileSchema(t int) *arrow.Schema {
	if s := c.schemas[t]; s != nil {
		return s
	}
	return tables[t].Schema
}

// asFileRecord returns rec under table t's file schema, retained; rec
// itself when the two are the same.
func (c *ownerConfig) asFileRecord(t int, rec arrow.RecordBatch) arrow.RecordBatch {
	s := c.fileSchema(t)
	if s == tables[t].Schema {
		rec.Retain()
		return rec
	}
	return array.NewRecordBatch(s, rec.Columns(), rec.NumRows())
}

// claimTables lays a claimed partition's files out for the tables and
// commits its last published flush to them, which a crash may have kept
// from it.
func (l *Lander) claimTables(ctx context.Context, part *sink.Partition) error {
	t := l.conf.tables
	if t == nil {
		return nil
	}
	if err := part.SetDataDirs(t.DataDir); err != nil {
		return err
	}
	if err := t.Commit(ctx, part.Committed()); err != nil {
		return fmt.Errorf("roll the last flush forward into the tables: %w", err)
	}
	return nil
}

// commitTables commits the flush just published to the tables.
func (o *owner) commitTables(ctx context.Context) error {
	if o.conf.tables == nil {
		return nil
	}
	return o.conf.tables.Commit(ctx, o.lake.Committed())
}
