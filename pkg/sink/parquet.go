package sink

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/landerd/landerd/pkg/sink/internal/pages"
)

// init makes landerd's zstd codec arrow-go's for the whole process, once
// and before any goroutine can write or read Parquet: see "Compression"
// in the package documentation.
func init() { pages.RegisterZstd() }

// WriterOptions configures the Parquet files a [ParquetFile] writes.
type WriterOptions struct {
	// Compression is the codec of every column: "zstd" (the default when
	// empty), "snappy", "gzip" or "none".
	Compression string
	// CompressionLevel is the codec's level; 0 means the codec's default.
	CompressionLevel int
	// Dictionary lists the leaf columns, by dotted Parquet path (e.g.
	// "exam_name", "options.list.element.id"), that use dictionary
	// encoding. nil means every column does (the Parquet default); an empty,
	// non-nil list means none does. Dictionaries pay off only for columns
	// with few distinct values: for near-unique columns they cost CPU in
	// hashing and in compressing a dictionary page as large as the data.
	Dictionary []string
	// Allocator allocates the writer's Arrow and Parquet buffers; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Generic writes every column through pqarrow's generic FileWriter
	// instead of landerd's page encoder. Both write the same files; the
	// generic path is the reference the encoder is tested and benchmarked
	// against.
	Generic bool
}

// codec maps the option to a Parquet codec.
func (o WriterOptions) codec() (compress.Compression, error) {
	switch o.Compression {
	case "", "zstd":
		return compress.Codecs.Zstd, nil
	case "snappy":
		return compress.Codecs.Snappy, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "none":
		return compress.Codecs.Uncompressed, nil
	default:
		return 0, fmt.Errorf("unknown compression %q (want zstd, snappy, gzip or none)", o.Compression)
	}
}

func (o WriterOptions) allocator() memory.Allocator {
	if o.Allocator == nil {
		return memory.DefaultAllocator
	}
	return o.Allocator
}

// ParquetFile is a Parquet file being written to a [File]. Every Write
// appends one record batch as its own row group(s), so the encoder holds at
// most one batch's pages in memory, whatever the file's final size. The
// file tracks its rows, the bytes handed to the underlying File so far and
// the range of Kafka offsets its rows came from. It knows nothing of the
// lake around it: a [Partition] that creates one keeps where it lives and
// where it is published.
//
// Files are written the way Spark 3, Trino and DuckDB read them without
// options: timestamps as TIMESTAMP(MICROS, isAdjustedToUTC=true) (never
// INT96), no unsigned types, column statistics on, and the Arrow schema
// stored in the metadata so that Arrow readers get the exact types back.
//
// A ParquetFile is not safe for concurrent use.
type ParquetFile struct {
	file   File
	out    countingWriter
	fw     *pqarrow.FileWriter // the generic writer, or nil
	pw     *pages.Writer       // the page encoder, or nil
	rows   int64
	first  int64 // smallest Kafka offset written; -1 before any row
	last   int64 // largest Kafka offset written; -1 before any row
	err    error // sticky: the first Write error
	closed bool
	cerr   error // the result of the first Close
}

// NewParquetFile starts a Parquet file with the given schema on f and takes
// ownership of f: Close closes it, and so does NewParquetFile when it fails.
//
// The schema must not hold unsigned integers, and its timestamps must be
// microsecond timestamps with a time zone (UTC instants).
func NewParquetFile(f File, schema *arrow.Schema, opts WriterOptions) (*ParquetFile, error) {
	pf, err := newParquetFile(f, schema, opts)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("new parquet file: %w", err), f.Close())
	}
	return pf, nil
}

func newParquetFile(f File, schema *arrow.Schema, opts WriterOptions) (*ParquetFile, error) {
	if err := checkSchema(schema); err != nil {
		return nil, err
	}
	codec, err := opts.codec()
	if err != nil {
		return nil, err
	}
	mem := opts.allocator()
	popts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(codec),
		parquet.WithStats(true),
		parquet.WithDataPageVersion(parquet.DataPageV1),
	}
	if opts.CompressionLevel != 0 {
		popts = append(popts, parquet.WithCompressionLevel(opts.CompressionLevel))
	}
	if opts.Dictionary != nil {
		popts = append(popts, parquet.WithDictionaryDefault(false))
		for _, col := range opts.Dictionary {
			popts = append(popts, parquet.WithDictionaryFor(col, true))
		}
	}
	props := parquet.NewWriterProperties(popts...)
	arrowProps := pqarrow.NewArrowWriterProperties(
		pqarrow.WithAllocator(mem),
		pqarrow.WithStoreSchema(),
		pqarrow.WithDeprecatedInt96Timestamps(false),
		pqarrow.WithCoerceTimestamps(arrow.Microsecond),
	)
	pf := &ParquetFile{file: f, out: countingWriter{w: f}, first: -1, last: -1}
	// The counting writer is not an io.Closer, so the writers' Close writes
	// the footer without closing f; ParquetFile.Close closes f itself and
	// reports its error.
	if !opts.Generic && pages.Supports(schema, props) {
		pw, err := pages.NewWriter(&pf.out, schema, props, arrowProps)
		if err != nil {
			return nil, err
		}
		pf.pw = pw
		return pf, nil
	}
	fw, err := pqarrow.NewFileWriter(schema, &pf.out, props, arrowProps)
	if err != nil {
		return nil, err
	}
	pf.fw = fw
	return pf, nil
}

// checkSchema rejects types the lake does not allow (docs/schema.md):
// unsigned integers, and timestamps that are not microsecond instants
// (a unit other than microseconds, or no time zone).
func checkSchema(schema *arrow.Schema) error {
	var errs []error
	for _, f := range schema.Fields() {
		errs = append(errs, checkType(f.Name, f.Type))
	}
	return errors.Join(errs...)
}

func checkType(name string, t arrow.DataType) error {
	switch t := t.(type) {
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		return fmt.Errorf("column %s: unsigned type %s is not allowed in the lake", name, t)
	case *arrow.TimestampType:
		if t.Unit != arrow.Microsecond || t.TimeZone == "" {
			return fmt.Errorf("column %s: %s: timestamps must be timestamp[us, tz=UTC]", name, t)
		}
	case arrow.NestedType:
		var errs []error
		for _, f := range t.Fields() {
			errs = append(errs, checkType(name+"."+f.Name, f.Type))
		}
		return errors.Join(errs...)
	}
	return nil
}

// Write appends rec, whose rows came from the Kafka offsets first..last
// (inclusive; the rows need not cover every offset in the range), as a new
// row group. A record without rows is ignored. After an error the file is
// unusable: Close it and discard it.
func (pf *ParquetFile) Write(rec arrow.RecordBatch, first, last int64) error {
	switch {
	case pf.closed:
		return errors.New("write parquet: file is closed")
	case pf.err != nil:
		return fmt.Errorf("write parquet: earlier write failed: %w", pf.err)
	case rec.NumRows() == 0:
		return nil
	case first < 0 || first > last:
		return fmt.Errorf("write parquet: invalid offset range %d..%d", first, last)
	}
	var err error
	if pf.pw != nil {
		err = pf.pw.Write(rec)
	} else {
		err = pf.fw.Write(rec)
	}
	if err != nil {
		pf.err = err
		return fmt.Errorf("write parquet: %w", err)
	}
	pf.rows += rec.NumRows()
	if pf.first < 0 || first < pf.first {
		pf.first = first
	}
	if last > pf.last {
		pf.last = last
	}
	return nil
}

// Rows is the number of rows written so far.
func (pf *ParquetFile) Rows() int64 { return pf.rows }

// Size is the number of bytes written to the underlying File so far; after
// Close it is the file's size.
func (pf *ParquetFile) Size() int64 { return pf.out.n }

// Offsets is the smallest and largest Kafka offset of the rows written, or
// -1, -1 before the first row.
func (pf *ParquetFile) Offsets() (first, last int64) { return pf.first, pf.last }

// Close writes the footer and closes the underlying File, which makes the
// data durable. It reports every error, including an earlier failed Write.
// Calling it again returns the first call's result.
func (pf *ParquetFile) Close() error {
	if pf.closed {
		return pf.cerr
	}
	pf.closed = true
	var errs []error
	if pf.err != nil {
		errs = append(errs, fmt.Errorf("earlier write failed: %w", pf.err))
	}
	var err error
	if pf.pw != nil {
		err = pf.pw.Close()
	} else {
		err = pf.fw.Close()
	}
	if err != nil {
		errs = append(errs, err)
	}
	if err := pf.file.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		pf.cerr = fmt.Errorf("close parquet: %w", err)
	}
	return pf.cerr
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w File
	n int64
}

// Write writes p to the File and counts the bytes it took.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Tell is the number of bytes written so far: the position in the file.
func (c *countingWriter) Tell() int64 { return c.n }

// ReadTable reads a whole Parquet file of the lake into an Arrow table
// allocated from mem. The caller releases the table.
func ReadTable(ctx context.Context, fsys ReadFS, name string, mem memory.Allocator) (arrow.Table, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	tbl, err := pqarrow.ReadTable(ctx, f, parquet.NewReaderProperties(mem),
		pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, mem)
	if cerr := f.Close(); cerr != nil && err == nil {
		tbl.Release()
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", name, err)
	}
	return tbl, nil
}
