//go:build unix

package lander

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/landerd/landerd/internal/config"
)

func TestLockSlot(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "member-x")
	a, releaseA, err := lockSlot(dir, prefix, 3)
	if err != nil || a != 0 {
		t.Fatalf("first slot = %d, %v; want 0", a, err)
	}
	b, releaseB, err := lockSlot(dir, prefix, 3)
	if err != nil || b != 1 {
		t.Fatalf("second slot while the first is held = %d, %v; want 1", b, err)
	}
	releaseA()
	c, releaseC, err := lockSlot(dir, prefix, 3)
	if err != nil || c != 0 {
		t.Fatalf("slot after the first was released = %d, %v; want 0 again", c, err)
	}
	d, releaseD, err := lockSlot(dir, prefix, 3)
	if err != nil || d != 2 {
		t.Fatalf("third slot = %d, %v; want 2", d, err)
	}
	if _, _, err := lockSlot(dir, prefix, 3); err == nil {
		t.Fatal("a fourth slot of three was given")
	}
	releaseB()
	releaseC()
	releaseD()
}

// TestDerivedMembership: two processes of one group on one host derive
// different ids; another group's slots are its own.
func TestDerivedMembership(t *testing.T) {
	k := config.Default().Kafka
	t.Setenv("TMPDIR", t.TempDir())
	k.Version = "2.8.0"
	m1 := newMembership(k)
	m2 := newMembership(k)
	defer m1.release()
	defer m2.release()
	if !m1.derived || !m2.derived || m1.id == m2.id || !strings.HasSuffix(m1.id, "-0") || !strings.HasSuffix(m2.id, "-1") {
		t.Fatalf("two processes' derived ids: %q and %q; want host-0 and host-1", m1.id, m2.id)
	}
	k.Group = "other-group"
	m3 := newMembership(k)
	defer m3.release()
	if m3.id != m1.id {
		t.Fatalf("another group's derived id = %q; want %q: slots are per group", m3.id, m1.id)
	}
}
