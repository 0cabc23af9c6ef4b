package report

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// batchRows is the number of rows per record batch handed to the Accumulator.
const batchRows = 64 << 10

// Read computes the report over the lake in fsys: every data file of the
// attempts table, read one at a time with mem, and the row counts of the
// _quarantine table's files, taken from their footers.
func Read(ctx context.Context, fsys sink.FS, opts Options, mem memory.Allocator) (*Report, error) {
	acc := NewAccumulator(opts)
	files, err := sink.ListDataFiles(fsys, flatten.TableAttempts)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for _, df := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if err := addFile(ctx, acc, fsys, df.Path, mem); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	qfiles, err := sink.ListDataFiles(fsys, flatten.TableQuarantine)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for _, df := range qfiles {
		n, err := countRows(fsys, df.Path)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		acc.AddQuarantined(n)
	}
	return acc.Report(fsys.String()), nil
}

// addFile feeds one Parquet file of the attempts table to acc.
func addFile(ctx context.Context, acc *Accumulator, fsys sink.FS, name string, mem memory.Allocator) error {
	tbl, err := sink.ReadTable(ctx, fsys, name, mem)
	if err != nil {
		return err
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, batchRows)
	defer tr.Release()
	for tr.Next() {
		if err := acc.Add(tr.RecordBatch()); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := tr.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	acc.AddFile()
	return nil
}

// countRows returns the number of rows of a Parquet file from its footer.
func countRows(fsys sink.FS, name string) (n int64, err error) {
	f, err := fsys.Open(name)
	if err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("count rows of %s: %w", name, cerr)
		}
	}()
	r, err := file.NewParquetReader(f)
	if err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", name, err)
	}
	return r.NumRows(), nil
}
