package config

import (
	"math"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "4096", want: 4096},
		{in: "1B", want: 1},
		{in: "64KiB", want: 64 << 10},
		{in: "128MiB", want: 128 << 20},
		{in: "128 MiB", want: 128 << 20},
		{in: " 2GiB ", want: 2 << 30},
		{in: "1TiB", want: 1 << 40},
		{in: "1kB", want: 1000},
		{in: "1KB", want: 1000},
		{in: "1MB", want: 1_000_000},
		{in: "1GB", want: 1_000_000_000},
		{in: "3TB", want: 3_000_000_000_000},
		{in: "8388607TiB", want: 8388607 << 40},
		{in: "8388608TiB", wantErr: "out of range"},
		{in: "9223372036854775808", wantErr: "number out of range"},
		{in: "1.5MiB", wantErr: "must be a whole number"},
		{in: "-1", wantErr: "want a non-negative integer"},
		{in: "MiB", wantErr: "want a non-negative integer"},
		{in: "", wantErr: "want a non-negative integer"},
		{in: "1mib", wantErr: `unknown unit "mib"`},
		{in: "1Mi", wantErr: `unknown unit "Mi"`},
		{in: "1 M B", wantErr: `unknown unit "M B"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseByteSize(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseByteSize(%q) = %d, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1000"},
		{1024, "1KiB"},
		{1536, "1536"},
		{3 * MiB / 2, "1536KiB"},
		{128 * MiB, "128MiB"},
		{GiB, "1GiB"},
		{2 * TiB, "2TiB"},
		{1024 * TiB, "1024TiB"},
		{-KiB, "-1KiB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestByteSizeYAML(t *testing.T) {
	tests := []struct {
		doc     string
		want    ByteSize
		wantErr string
	}{
		{doc: "v: 1048576", want: MiB},
		{doc: "v: 1MiB", want: MiB},
		{doc: `v: "1 MiB"`, want: MiB},
		{doc: "v: 0x10", wantErr: "line 1: invalid size \"0x10\""},
		{doc: "v: 1.5", wantErr: "line 1: cannot unmarshal !!float `1.5` into a size in bytes"},
		{doc: "v: true", wantErr: "line 1: cannot unmarshal !!bool `true` into a size in bytes"},
		{doc: "v: [1]", wantErr: "line 1: cannot unmarshal !!seq `` into a size in bytes"},
		{doc: "\n\nv: 12XB", wantErr: "line 3: invalid size \"12XB\""},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			var v struct {
				V ByteSize `yaml:"v"`
			}
			err := yaml.Unmarshal([]byte(tt.doc), &v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Unmarshal(%q) = %d, %v; want an error containing %q", tt.doc, v.V, err, tt.wantErr)
				}
				return
			}
			if err != nil || v.V != tt.want {
				t.Fatalf("Unmarshal(%q) = %d, %v; want %d", tt.doc, v.V, err, tt.want)
			}
		})
	}
}

// FuzzParseByteSize checks that ParseByteSize never panics, never returns
// a negative size, and that whatever it accepts prints back to the same
// value.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"0", "1", "128MiB", "64 KiB", "1GB", "1.5MiB", "-1", "9223372036854775807", "8388608TiB", " 3 TB "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("ParseByteSize(%q) = %d, negative", s, b)
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("ParseByteSize(%q) = %d; its String %q parses to %d, %v", s, b, b.String(), back, err)
		}
		out, err := yaml.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var y ByteSize
		if err := yaml.Unmarshal(out, &y); err != nil || y != b {
			t.Fatalf("YAML round trip of %d via %q = %d, %v", b, out, y, err)
		}
	})
}

func TestByteSizeLimits(t *testing.T) {
	if got, err := ParseByteSize("9223372036854775807"); err != nil || got != math.MaxInt64 {
		t.Fatalf("ParseByteSize(MaxInt64) = %d, %v", got, err)
	}
}
