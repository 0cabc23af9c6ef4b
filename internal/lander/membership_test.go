package lander

import (
	"errors"
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
