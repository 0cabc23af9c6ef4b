package pages

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Settings are the choices of a lake's Parquet files that vary: the codec,
// its level and which columns are dictionary-encoded.
type Settings struct {
	Codec compress.Compression
	// Level is the codec's compression level; 0 means the codec's default.
	Level int
	// Dictionary lists the dictionary-encoded columns; nil means every
	// column is.
	Dictionary []string
	// Allocator holds the writers' buffers.
	Allocator memory.Allocator
}

// Properties are the writer properties of a lake file with the given
// settings, for the page encoder and for arrow-go's generic writer alike:
// statistics on, data pages v1, the Arrow schema stored, microsecond
// timestamps and no INT96.
func Properties(s Settings) (*parquet.WriterProperties, pqarrow.ArrowWriterProperties) {
	popts := []parquet.WriterProperty{
		parquet.WithAllocator(s.Allocator),
		parquet.WithCompression(s.Codec),
		parquet.WithStats(true),
		parquet.WithDataPageVersion(parquet.DataPageV1),
	}
	if s.Level != 0 {
		popts = append(popts, parquet.WithCompressionLevel(s.Level))
	}
	if s.Dictionary != nil {
		popts = append(popts, parquet.WithDictionaryDefault(false))
		for _, col := range s.Dictionary {
			popts = append(popts, parquet.WithDictionaryFor(col, true))
		}
	}
	return parquet.NewWriterProperties(popts...), pqarrow.NewArrowWriterProperties(
		pqarrow.WithAllocator(s.Allocator),
		pqarrow.WithStoreSchema(),
		pqarrow.WithDeprecatedInt96Timestamps(false),
		pqarrow.WithCoerceTimestamps(arrow.Microsecond),
	)
}
