package lander

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestReadOnlyMapping(t *testing.T) {
	const exe = "/usr/bin/landerd"
	tests := []struct {
		line       string
		start, end uintptr
		ok         bool
	}{
		{"00400000-01a00000 r-xp 00000000 08:01 1234 /usr/bin/landerd", 0x400000, 0x1a00000, true},
		{"01a00000-03000000 r--p 01600000 08:01 1234 /usr/bin/landerd", 0x1a00000, 0x3000000, true},
		// Writable: its pages would be lost, not re-read.
		{"03000000-03100000 rw-p 02c00000 08:01 1234 /usr/bin/landerd", 0, 0, false},
		// Shared: not the executable's private mapping.
		{"03000000-03100000 r--s 00000000 08:01 1234 /usr/bin/landerd", 0, 0, false},
		// Another file, and anonymous memory.
		{"7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /usr/lib/libc.so.6", 0, 0, false},
		{"c000000000-c004000000 rw-p 00000000 00:00 0", 0, 0, false},
		{"7ffc0000-7ffd0000 r--p 00000000 00:00 0 [vvar]", 0, 0, false},
		// The executable deleted (replaced) since it started, and a
		// path that only ends like it.
		{"00400000-01a00000 r-xp 00000000 08:01 1234 /usr/bin/landerd (deleted)", 0, 0, false},
		{"00400000-01a00000 r-xp 00000000 08:01 1234 /opt/usr/bin/landerd", 0, 0, false},
		// A path with a space.
		{"00400000-01a00000 r-xp 00000000 08:01 1234 /opt/my apps/landerd", 0, 0, false},
		// Damaged lines.
		{"zz-01a00000 r-xp 00000000 08:01 1234 /usr/bin/landerd", 0, 0, false},
		{"01a00000-00400000 r-xp 00000000 08:01 1234 /usr/bin/landerd", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tc := range tests {
		start, end, ok := readOnlyMapping(tc.line, exe)
		if start != tc.start || end != tc.end || ok != tc.ok {
			t.Errorf("readOnlyMapping(%q) = %#x, %#x, %v; want %#x, %#x, %v", tc.line, start, end, ok, tc.start, tc.end, tc.ok)
		}
	}
}

// TestReleaseStartupPages releases the test binary's read-only pages and
// goes on running code and reading constant data from them.
func TestReleaseStartupPages(t *testing.T) {
	before := residentFile(t)
	n, err := ReleaseStartupPages()
	if err != nil {
		t.Fatal(err)
	}
	after := residentFile(t)
	if n <= 0 {
		t.Fatalf("released mappings spanning %d bytes; want the executable's code and data", n)
	}
	t.Logf("mappings span %d MiB; resident file pages %d → %d KiB", n>>20, before, after)
	if after >= before {
		t.Errorf("resident file pages %d KiB after releasing, %d before; want fewer", after, before)
	}
}

// residentFile returns the process's RssFile in KiB.
func residentFile(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var kib int64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib); err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
