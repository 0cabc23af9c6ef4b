package sink

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
)

func TestFileNameRoundTrip(t *testing.T) {
	tests := []struct {
		topic       string
		partition   int32
		first, last int64
		want        string
	}{
		{"attempts", 0, 0, 0, "attempts-00000-0000000000000000000-0000000000000000000.parquet"},
		{"assessment-attempts.v1", 12, 1000, 1999, "assessment-attempts.v1-00012-0000000000000001000-0000000000000001999.parquet"},
		{"a_b", 2147483647, 9223372036854775806, 9223372036854775807, "a_b-2147483647-9223372036854775806-9223372036854775807.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			name := FileName(tt.topic, tt.partition, tt.first, tt.last)
			if name != tt.want {
				t.Fatalf("FileName = %q; want %q", name, tt.want)
			}
			topic, part, first, last, err := ParseFileName(name)
			if err != nil || topic != tt.topic || part != tt.partition || first != tt.first || last != tt.last {
				t.Fatalf("ParseFileName = %q %d %d %d %v", topic, part, first, last, err)
			}
		})
	}
	// Zero padding makes names sort by offset.
	a := FileName("t", 1, 9, 99)
	b := FileName("t", 1, 100, 1000)
	if a >= b {
		t.Fatalf("%q sorts after %q", a, b)
	}
}

func TestParseFileNameRejects(t *testing.T) {
	for _, name := range []string{
		"",
		"x.parquet",
		"t-00001-0000000000000000001-0000000000000000002.parquet.tmp",
		"t-1-0000000000000000001-0000000000000000002.parquet", // partition not padded
		"t-00001-1-2.parquet", // offsets not padded
		"t-00001-0000000000000000002-0000000000000000001.parquet",      // first after last
		"t/x-00001-0000000000000000001-0000000000000000002.parquet",    // bad topic
		"-00001-0000000000000000001-0000000000000000002.parquet",       // empty topic
		"t-00001-+000000000000000001-0000000000000000002.parquet",      // sign
		"t-00001-00000000000000000001-0000000000000000002.parquet",     // 20 digits: not canonical
		"t-9999999999-0000000000000000001-0000000000000000002.parquet", // partition overflow
		"t-00001-9999999999999999999-9999999999999999999.parquet",      // offset overflow
	} {
		if _, _, _, _, err := ParseFileName(name); err == nil {
			t.Errorf("ParseFileName(%q) succeeded; want an error", name)
		}
	}
}

func FuzzParseFileName(f *testing.F) {
	f.Add("attempts-00000-0000000000000000000-0000000000000000009.parquet")
	f.Add("a-b-c-00001-0000000000000000001-0000000000000000002.parquet")
	f.Add("t-00001-1-2.parquet")
	f.Fuzz(func(t *testing.T, name string) {
		topic, part, first, last, err := ParseFileName(name)
		if err != nil {
			return
		}
		if got := FileName(topic, part, first, last); got != name {
			t.Fatalf("ParseFileName(%q) = %q %d %d %d, which formats as %q", name, topic, part, first, last, got)
		}
		if first > last || part < 0 || first < 0 {
			t.Fatalf("ParseFileName(%q) accepted %d %d..%d", name, part, first, last)
		}
	})
}

func TestListDataFiles(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if files, err := ListDataFiles(lake, flatten.TableAttempts); err != nil || len(files) != 0 {
		t.Fatalf("missing table: %v, %v; want nothing", files, err)
	}
	for _, part := range []int32{1, 0} {
		p := mustClaim(t, lake, "topic", part)
		if err := flush(t, ctx, p, mem, offsetRange(1, 2)); err != nil {
			t.Fatal(err)
		}
	}
	// Foreign and hidden entries are skipped.
	for _, name := range []string{"attempts/README", "attempts/ingest_date=2026-11-24/.crc"} {
		f, err := lake.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ListDataFiles(lake, flatten.TableAttempts)
	if err != nil {
		t.Fatal(err)
	}
	var got []DataFile
	for _, f := range files {
		if f.Size <= 0 {
			t.Errorf("%s: size %d", f.Path, f.Size)
		}
		f.Size = 0
		got = append(got, f)
	}
	want := []DataFile{
		{Path: "attempts/ingest_date=2026-11-24/topic-00000-0000000000000000001-0000000000000000001.parquet", Hive: "ingest_date=2026-11-24", Topic: "topic", Partition: 0, First: 1, Last: 1},
		{Path: "attempts/ingest_date=2026-11-24/topic-00001-0000000000000000001-0000000000000000001.parquet", Hive: "ingest_date=2026-11-24", Topic: "topic", Partition: 1, First: 1, Last: 1},
		{Path: "attempts/ingest_date=2026-11-25/topic-00000-0000000000000000002-0000000000000000002.parquet", Hive: "ingest_date=2026-11-25", Topic: "topic", Partition: 0, First: 2, Last: 2},
		{Path: "attempts/ingest_date=2026-11-25/topic-00001-0000000000000000002-0000000000000000002.parquet", Hive: "ingest_date=2026-11-25", Topic: "topic", Partition: 1, First: 2, Last: 2},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListDataFiles:\n%+v\nwant\n%+v", got, want)
	}
}

// TestListDataFilesIn lists one Hive partition of a table with its Hive
// path kept, reads nothing above it, and rejects a malformed partition.
func TestListDataFilesIn(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	if err := flush(t, ctx, mustClaim(t, lake, "topic", 0), mem, offsetRange(1, 2)); err != nil {
		t.Fatal(err)
	}
	files, err := ListDataFilesIn(lake, flatten.TableAttempts, "ingest_date=2026-11-25")
	if err != nil {
		t.Fatal(err)
	}
	want := "attempts/ingest_date=2026-11-25/topic-00000-0000000000000000002-0000000000000000002.parquet"
	if len(files) != 1 || files[0].Path != want || files[0].Hive != "ingest_date=2026-11-25" {
		t.Fatalf("ListDataFilesIn: %+v; want only %s in its Hive partition", files, want)
	}
	if files, err := ListDataFilesIn(lake, flatten.TableAttempts, "tenant=nobody"); err != nil || len(files) != 0 {
		t.Fatalf("missing partition: %v, %v; want nothing", files, err)
	}
	for _, bad := range []string{"../x", "_landerd", "nokey"} {
		if _, err := ListDataFilesIn(lake, flatten.TableAttempts, bad); err == nil {
			t.Errorf("hive %q: no error", bad)
		}
	}
}
