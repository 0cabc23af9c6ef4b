package lander

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/IBM/sarama"

	"github.com/landerd/landerd/internal/config"
)

func TestInstanceID(t *testing.T) {
	if got := instanceID("landerd-7c9f8d-x2k4q", 0); got != "landerd-7c9f8d-x2k4q-0" {
		t.Fatalf("instanceID = %q", got)
	}
	if got := instanceID("host name/é", 3); got != "host_name__-3" {
		t.Fatalf("instanceID of a host name with refused characters = %q", got)
	}
	long := instanceID(strings.Repeat("h", 300), 12)
	if len(long) != 249 || !strings.HasSuffix(long, "h-12") {
		t.Fatalf("instanceID of a long host name: %d characters, %q…", len(long), long[len(long)-8:])
	}
}

func TestLockSlot(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
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

func TestNewMembership(t *testing.T) {
	k := config.Default().Kafka
	k.InstanceID = "pod-1"
	if m := newMembership(k); m.id != "pod-1" || m.derived {
		t.Fatalf("configured id: %+v", m)
	}
	k.InstanceID = config.InstanceIDNone
	if m := newMembership(k); m.id != "" || m.why == "" {
		t.Fatalf("none: %+v", m)
	}
	k.InstanceID = ""
	k.Version = "2.3.0"
	if m := newMembership(k); m.id != "" || !strings.Contains(m.why, "2.4.0") {
		t.Fatalf("derived with an old version: %+v", m)
	}
	if runtime.GOOS == "windows" {
		return
	}
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

func TestLeaveRequest(t *testing.T) {
	for _, c := range []struct {
		version sarama.KafkaVersion
		want    int16
	}{{sarama.V2_4_0_0, 4}, {sarama.V2_8_0_0, 4}, {sarama.V3_2_0_0, 5}, {sarama.V4_0_0_0, 5}} {
		req := leaveRequest(c.version, "g", "member-1", "host-0")
		if req.Version != c.want || len(req.Members) != 1 || req.Members[0].MemberId != "member-1" || *req.Members[0].GroupInstanceId != "host-0" {
			t.Fatalf("leaveRequest(%s) = version %d members %+v; want version %d naming member-1 as host-0", c.version, req.Version, req.Members, c.want)
		}
	}
}

func TestFencedError(t *testing.T) {
	err := error(&fencedError{id: "host-0", err: sarama.ErrFencedInstancedId})
	if !errors.Is(err, ErrFencedInstance) || !errors.Is(err, sarama.ErrFencedInstancedId) || !strings.Contains(err.Error(), `"host-0"`) ||
		!strings.Contains(err.Error(), "kafka.instance_id") {
		t.Fatalf("fenced error %q", err)
	}
}
