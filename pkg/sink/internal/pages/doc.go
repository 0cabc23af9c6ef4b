// Package pages is landerd's Parquet page encoder: it writes Arrow record
// batches as row groups of a Parquet file, encoding every column chunk's
// data pages itself, for package sink's ParquetFile.
//
// # What it encodes
//
// For each leaf column of a row group it computes the definition and
// repetition levels from the arrays' validity and offsets and encodes
// them in Parquet's RLE/bit-packing hybrid (rle.go); it encodes the values
// PLAIN, or dictionary-encodes them (indices in order of first
// appearance, strings looked up in an open-addressing table over the
// dictionary's own buffer: dict.go), falling back to PLAIN when a
// dictionary outgrows its page or does not pay; and it keeps the page and
// chunk statistics (chunk.go). arrow-go still does the rest: its page
// writer adds the page headers, compresses the pages and records each
// chunk's metadata, and its metadata builders write the footer, with the
// schema and the stored Arrow schema pqarrow would give the file
// (columns.go).
//
// The files are byte for byte those of pqarrow's generic FileWriter given
// the same writer properties, quirks included: which write batches count
// towards a page's minimum and maximum, the stale bits past a page's last
// boolean, pages cut after the same write batch, the same dictionary
// fallback. (One thing in the footer may come out in another order: the
// page encoding statistics of a chunk whose dictionary fell back to
// PLAIN, which arrow-go lists in map order, different from one write to
// the next.) TestColumnWriterMatchesPqarrow and its siblings compare the
// two writers' files for the lake's tables, the real data set and lists
// with every kind of absence, so an arrow-go upgrade that changes what
// its writer writes fails them, and Spark, Trino, DuckDB and pyarrow read
// exactly what pqarrow would have written.
//
// It writes only the shapes the lake has ([Supports]): top-level boolean,
// int32, date32, int64, timestamp, float64, string and binary columns,
// and lists of nullable structs of those, as Parquet version 1 data pages
// with PLAIN or dictionary encoding, without encryption, page indexes or
// bloom filters. Package sink writes anything else through pqarrow.
//
// # Why landerd has its own encoder
//
// CPU. Encoding the pages (compression aside) is about a fifth of the
// daemon's CPU (docs/performance.md, "Where the CPU goes"), and pqarrow's
// writer is general where the lake is not. Computing the levels from the
// offsets for the lake's two shapes, instead of pqarrow's generic level
// builder, saved 17% of the flatten-and-encode benchmark; encoding the
// pages here instead of through arrow-go's column writers saved 18% more
// and cut the allocations of a row group of 5,000 attempts from 18,600 to
// 7,100. Besides, this encoder encodes a list's repetition levels once
// for all its leaves, compares each value with the one before it before
// looking it up in a dictionary, takes a dictionary-encoded page's
// minimum and maximum over its distinct entries, reads boolean statistics
// from the bitmaps in place, and keeps its buffers from one row group to
// the next (at most eight sets, in a free list). In `make bench-encode`
// on a quiet machine, flattening and encoding 100k attempts take 1.45 CPU
// seconds with it and 2.29 through pqarrow's generic FileWriter, for the
// same files. That
// writer stays available (sink.WriterOptions.Generic) as the reference
// this encoder is tested and benchmarked against.
//
// # The zstd codec
//
// arrow-go's page writer compresses pages with the codec it finds in
// arrow-go's process-wide registry, so the codec landerd compresses with
// is registered there, for every user of arrow-go in the process:
// [RegisterZstd], which package sink calls from its init function, says
// what that changes and why it must run at init. The codec (zstd.go)
// writes the same standard frames as arrow-go's, but keeps idle encoders
// in a free list instead of a sync.Pool that every other garbage
// collection empties, and gives them a 2 MiB window instead of 8 MiB.
package pages
