package pages

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// TestMain registers landerd's zstd codec, as package sink does when it
// is imported, so that the tests compress as landerd does.
func TestMain(m *testing.M) {
	RegisterZstd()
	os.Exit(m.Run())
}

// Once registered, zstd pages are encoded with zstdCodec, and registering
// again keeps that codec; its frames decode with the reference decoder
// and with the codec itself, for pages smaller and larger than its
// window, at the default level and at level 1.
func TestZstdCodecFrames(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	zc, ok := c.(*zstdCodec)
	if !ok {
		t.Fatalf("registered zstd codec is %T; want *zstdCodec", c)
	}
	RegisterZstd()
	if again, _ := compress.GetCodec(compress.Codecs.Zstd); again != c {
		t.Fatalf("registering again replaced the codec with %T", again)
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 1000, 200 << 10, 1 << 20, 5 << 20} {
		src := make([]byte, size)
		for i := range src {
			src[i] = "abcdefgh"[rng.IntN(8)] // compressible, not trivially
		}
		for _, level := range []int{compress.DefaultCompressionLevel, 1} {
			frame := zc.EncodeLevel(nil, src, level)
			got, err := dec.DecodeAll(frame, nil)
			if err != nil {
				t.Fatalf("size %d level %d: reference decoder: %v", size, level, err)
			}
			if !bytes.Equal(got, src) {
				t.Fatalf("size %d level %d: reference decoder returned %d bytes that differ from the %d written", size, level, len(got), len(src))
			}
			got, err = zc.DecodeWithError(nil, frame)
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("size %d level %d: codec decode: %v, equal %v", size, level, err, bytes.Equal(got, src))
			}
			if size > 1000 && len(frame) >= size/2 {
				t.Fatalf("size %d level %d: frame of %d bytes; want it compressed", size, level, len(frame))
			}
		}
	}
}

// Idle encoders are reused, not rebuilt, and at most zstdIdle of a level
// are kept.
func TestZstdCodecReusesEncoders(t *testing.T) {
	c := &zstdCodec{idle: map[zstd.EncoderLevel][]*zstd.Encoder{}}
	a := c.get(zstd.SpeedDefault)
	c.put(zstd.SpeedDefault, a)
	if b := c.get(zstd.SpeedDefault); b != a {
		t.Fatal("an idle encoder was not reused")
	}
	if b := c.get(zstd.SpeedFastest); b == a {
		t.Fatal("an encoder of another level was reused")
	}
	var busy []*zstd.Encoder
	for range zstdIdle + 3 {
		busy = append(busy, c.get(zstd.SpeedDefault))
	}
	for _, enc := range busy {
		c.put(zstd.SpeedDefault, enc)
	}
	if n := len(c.idle[zstd.SpeedDefault]); n != zstdIdle {
		t.Fatalf("%d idle encoders kept; want %d", n, zstdIdle)
	}
}

// Pages no larger than the window come out as the same bytes as
// arrow-go's own codec writes them, at the default level and at level 1;
// a larger page differs in its frame header at least (it names the
// window).
func TestZstdCodecMatchesArrowUpToItsWindow(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	zc, ok := c.(*zstdCodec)
	if !ok {
		t.Fatalf("registered zstd codec is %T; want *zstdCodec", c)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1000, 200 << 10, zstdWindow, zstdWindow + 1} {
		src := make([]byte, size)
		for i := range src {
			if rng.IntN(3) == 0 {
				src[i] = byte(rng.IntN(256))
			} else {
				src[i] = "abcdefgh"[rng.IntN(8)]
			}
		}
		for _, level := range []int{compress.DefaultCompressionLevel, 1} {
			same := bytes.Equal(zc.EncodeLevel(nil, src, level), zc.base.EncodeLevel(nil, src, level))
			if same != (size <= zstdWindow) {
				t.Errorf("size %d level %d: same bytes as arrow-go's codec = %v", size, level, same)
			}
		}
	}
}
