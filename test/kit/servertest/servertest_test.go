package servertest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLastLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb"},
		{"a\nb\n\n\n", 1, "b"},
		{"", 3, ""},
		{"a\nb\n", 0, ""},
	} {
		if got := LastLines(tc.in, tc.n); got != tc.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.log")
	if err := os.WriteFile(path, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := LogTail(path, 2), "two\nthree"; got != want {
		t.Errorf("LogTail = %q, want %q", got, want)
	}
	missing := LogTail(filepath.Join(t.TempDir(), "absent.log"), 2)
	if !strings.HasPrefix(missing, "(log unreadable: ") || !strings.Contains(missing, "absent.log") {
		t.Errorf("LogTail of a missing file = %q, want a note naming it", missing)
	}
}

func TestFreeAddrCanBeBound(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("FreeAddr() = %q, want 127.0.0.1:port (%v)", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("bind %s: %v", addr, err)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPeakRSS(t *testing.T) {
	// This test's own process has touched at least a megabyte.
	if rss := PeakRSS(os.Getpid()); rss < 1<<20 {
		t.Errorf("PeakRSS(self) = %d bytes, want at least 1 MiB", rss)
	}
	if rss := PeakRSS(-1); rss != 0 {
		t.Errorf("PeakRSS(-1) = %d, want 0", rss)
	}
}
