package pages

import (
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdWindow is the window of the zstd frames landerd writes. A data page
// is cut near 1 MiB, so a 2 MiB window lets every match of a page reach as
// far back as the library's 8 MiB default does, while an encoder's history
// buffer shrinks from 16 MiB to 4 MiB.
const zstdWindow = 2 << 20

// zstdIdle bounds the idle encoders kept per level: enough for every owner
// of a busy member to find one, few enough to bound their memory.
const zstdIdle = 8

// zstdCodec is the Parquet zstd codec landerd compresses pages with (see
// RegisterZstd). It writes standard zstd frames, as arrow-go's codec does,
// and decodes with it; it differs in keeping idle encoders in a free list
// rather than a sync.Pool: a sync.Pool is emptied by every other garbage
// collection, so under load each page could build a new encoder and its
// history buffer anew, which cost allocation, zeroing and collection.
type zstdCodec struct {
	base
	mu   sync.Mutex
	idle map[zstd.EncoderLevel][]*zstd.Encoder
}

// base is what arrow-go's zstd codec implements.
type base interface {
	compress.ErrorCodec
	compress.StreamingCodec
}

var registerZstd sync.Once

// RegisterZstd makes landerd's zstd codec the one that every arrow-go
// Parquet writer and reader in the process finds for
// compress.Codecs.Zstd, in place of arrow-go's own: arrow-go looks codecs
// up in one process-wide registry (compress.GetCodec), and
// compress.RegisterCodec replaces its entry. Package sink calls it from
// its init function. Calling it again does nothing. Should arrow-go's
// codec ever not be what it wraps, it leaves that codec in place, and
// TestZstdCodecFrames fails.
//
// What changes for every user of arrow-go in the process, landerd's or
// not: pages compressed with Encode or EncodeLevel (what Parquet page
// writers call) are standard zstd frames at the levels arrow-go's codec
// uses, but with a 2 MiB window instead of up to 8 MiB, which matters
// only for pages larger than 2 MiB (landerd cuts pages near 1 MiB); and up
// to eight idle encoders of each level used stay allocated, about 4 MiB
// of history each, instead of going back to the garbage collector.
// Decoding, the streaming API and every other codec remain arrow-go's.
//
// Call it only from an init function, as arrow-go's documentation of
// RegisterCodec asks: the registry is a plain map that every page writer
// and reader reads without a lock, so changing it while goroutines may be
// writing or reading Parquet would be a data race, and which codec a file
// got would depend on whether it was written before or after.
func RegisterZstd() {
	registerZstd.Do(func() {
		c, err := compress.GetCodec(compress.Codecs.Zstd)
		if err != nil {
			return
		}
		if b, ok := c.(base); ok {
			compress.RegisterCodec(compress.Codecs.Zstd, &zstdCodec{base: b, idle: map[zstd.EncoderLevel][]*zstd.Encoder{}})
		}
	})
}

// Encode compresses src at the default level.
func (c *zstdCodec) Encode(dst, src []byte) []byte {
	return c.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

// EncodeLevel compresses src at a zstd level (1 fastest … 22), mapped to
// the encoder's speed classes as arrow-go maps it.
func (c *zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	enc := c.get(l)
	out := enc.EncodeAll(src, dst[:0])
	c.put(l, enc)
	return out
}

func (c *zstdCodec) get(l zstd.EncoderLevel) *zstd.Encoder {
	c.mu.Lock()
	if free := c.idle[l]; len(free) > 0 {
		enc := free[len(free)-1]
		c.idle[l] = free[:len(free)-1]
		c.mu.Unlock()
		return enc
	}
	c.mu.Unlock()
	// The options are arrow-go's, except for the window.
	enc, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(l),
		zstd.WithEncoderConcurrency(1), zstd.WithAllLitEntropyCompression(true), zstd.WithWindowSize(zstdWindow))
	if err != nil {
		panic("zstd encoder options: " + err.Error()) // constant options: a bug
	}
	return enc
}

func (c *zstdCodec) put(l zstd.EncoderLevel, enc *zstd.Encoder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.idle[l]) < zstdIdle {
		c.idle[l] = append(c.idle[l], enc)
	}
}
