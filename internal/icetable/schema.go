package icetable

import (
	"fmt"
	"path"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
)

// Partitioning says how one table is partitioned: the day (UTC) of one of
// its own columns, named as the Hive layout names its date folders.
// Iceberg derives a partition value from the row by the spec's transform,
// so the column must be the table's own: a row whose column is null is in
// the null partition.
type Partitioning struct {
	// Field is the partition field's name, as in the data folders
	// data/<Field>=<YYYY-MM-DD>.
	Field string
	// Source is the column Field is the day of.
	Source string
}

// The partitionings of landerd's tables.
var (
	// IngestDate is day(landed_at), named ingest_date: every table by
	// default, and questions and _quarantine always.
	IngestDate = Partitioning{Field: string(config.PartitionByIngestDate), Source: "landed_at"}
	// EventDate is day(started_at), named event_date: attempts under
	// lake.partition_by event_date. An attempt with no started_at is in
	// the null partition.
	EventDate = Partitioning{Field: string(config.PartitionByEventDate), Source: "started_at"}
)

// PartitioningOf returns how table is partitioned when the lake is
// partitioned by by: attempts by EventDate under event_date, every other
// table, and every table under ingest_date, by IngestDate. questions has
// no started_at, and _quarantine's records may have none.
func PartitioningOf(table string, by config.PartitionBy) Partitioning {
	if by == config.PartitionByEventDate && table == flatten.TableAttempts {
		return EventDate
	}
	return IngestDate
}

// partitionFieldID is the id of the partition field: Iceberg numbers
// partition fields from 1000.
const partitionFieldID = 1000

// fieldIDKey is the Arrow field metadata key that pqarrow writes as a
// Parquet field id.
const fieldIDKey = table.ArrowParquetFieldIDKey

// Schema returns the Iceberg schema of a lake table: its Arrow schema's
// columns in order, with the field ids iceberg-go gives a new table
// (numbered from 1 depth first: a list's element and the element's fields
// follow the list column), so that the same table always gets the same ids
// and a table landerd created has exactly these.
func Schema(t *flatten.Table) (*iceberg.Schema, error) {
	sc, err := table.ArrowSchemaToIcebergWithFreshIDs(t.Schema, false)
	if err != nil {
		return nil, fmt.Errorf("iceberg schema of %s: %w", t.Name, err)
	}
	return sc, nil
}

// Spec returns the partition spec p of a table with schema sc: the day of
// p.Source, named p.Field.
func Spec(sc *iceberg.Schema, p Partitioning) (iceberg.PartitionSpec, error) {
	f, ok := sc.FindFieldByName(p.Source)
	if !ok {
		return iceberg.PartitionSpec{}, fmt.Errorf("partition spec: no column %s", p.Source)
	}
	return iceberg.NewPartitionSpec(iceberg.PartitionField{
		SourceIDs: []int{f.ID}, FieldID: partitionFieldID, Name: p.Field, Transform: iceberg.DayTransform{},
	}), nil
}

// FileSchema returns t's Arrow schema with each field's Iceberg field id
// (from Schema) in its metadata, nested fields included, so that the
// Parquet files landerd writes carry the ids Iceberg readers resolve
// columns by. Its types are t.Schema's, so records built for t.Schema can
// be written with it.
func FileSchema(t *flatten.Table) (*arrow.Schema, error) {
	sc, err := Schema(t)
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, t.Schema.NumFields())
	for i, f := range t.Schema.Fields() {
		nf, ok := sc.FindFieldByName(f.Name)
		if !ok {
			return nil, fmt.Errorf("file schema of %s: no field id for %s", t.Name, f.Name)
		}
		if fields[i], err = withIDs(f, nf.ID, nf.Type); err != nil {
			return nil, fmt.Errorf("file schema of %s: %w", t.Name, err)
		}
	}
	return arrow.NewSchema(fields, nil), nil
}

// withIDs returns f with field id id and its nested fields' ids taken
// from typ, the field's Iceberg type.
func withIDs(f arrow.Field, id int, typ iceberg.Type) (arrow.Field, error) {
	f.Metadata = arrow.NewMetadata([]string{fieldIDKey}, []string{strconv.Itoa(id)})
	switch at := f.Type.(type) {
	case *arrow.ListType:
		lt, ok := typ.(*iceberg.ListType)
		if !ok {
			return f, fmt.Errorf("column %s: arrow list, iceberg %s", f.Name, typ)
		}
		elem, err := withIDs(at.ElemField(), lt.ElementID, lt.Element)
		if err != nil {
			return f, fmt.Errorf("column %s: %w", f.Name, err)
		}
		f.Type = arrow.ListOfField(elem)
	case *arrow.StructType:
		st, ok := typ.(*iceberg.StructType)
		if !ok {
			return f, fmt.Errorf("column %s: arrow struct, iceberg %s", f.Name, typ)
		}
		if len(st.FieldList) != at.NumFields() {
			return f, fmt.Errorf("column %s: %d arrow fields, %d iceberg fields", f.Name, at.NumFields(), len(st.FieldList))
		}
		children := make([]arrow.Field, at.NumFields())
		for i, c := range at.Fields() {
			nf := st.FieldList[i]
			if nf.Name != c.Name {
				return f, fmt.Errorf("column %s: field %d is %s in arrow, %s in iceberg", f.Name, i, c.Name, nf.Name)
			}
			var err error
			if children[i], err = withIDs(c, nf.ID, nf.Type); err != nil {
				return f, fmt.Errorf("column %s: %w", f.Name, err)
			}
		}
		f.Type = arrow.StructOf(children...)
	}
	return f, nil
}

// Dir is the folder of table in the lake, relative to the lake root:
// <namespace>/<table>, the table's location.
func Dir(namespace, table string) string { return path.Join(namespace, table) }

// DataDir is the folder of table's data files, relative to the lake root:
// <namespace>/<table>/data. Each file sits in the folder of its partition
// below it, as Iceberg's own writers place them.
func DataDir(namespace, table string) string { return path.Join(Dir(namespace, table), "data") }
