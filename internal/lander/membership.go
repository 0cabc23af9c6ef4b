package lander

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/IBM/sarama"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/sink"
)

// ErrFencedInstance means that another process joined the consumer group
// under this process's static membership id (FENCED_INSTANCE_ID): the
// group now counts that process as this member, and this one must stop.
var ErrFencedInstance = errors.New("fenced by another member with the same kafka.instance_id")

// fencedError is ErrFencedInstance for one id.
type fencedError struct {
	id  string
	err error // the client's error
}

func (e *fencedError) Error() string {
	return fmt.Sprintf("%s %q: another process joined the group under this id, and this one published nothing after it was told; "+
		"give every replica its own id (kafka.instance_id or LANDERD_KAFKA_INSTANCE_ID; empty derives one per host and process, \"none\" turns static membership off)",
		ErrFencedInstance.Error(), e.id)
}

func (e *fencedError) Unwrap() []error { return []error{ErrFencedInstance, e.err} }

// membership is how this process is a member of the group: under a static
// id (KIP-345), or dynamically when id is empty.
type membership struct {
	id      string // the group instance id; "" for dynamic membership
	derived bool   // id was derived from the host name, not configured
	why     string // why membership is dynamic, for the log; "" when static
	release func() // frees the slot a derived id holds
}

// maxSlots bounds the processes of one group on one host that get a
// derived id; more run as dynamic members.
const maxSlots = 64

// newMembership resolves kafka.instance_id: a configured id is used as it
// is, "none" means dynamic membership, and empty derives an id from the
// host name and the lowest slot that no other running process of the group
// on this host holds (see lockSlot). A container keeps its host name
// across restarts, so a restarted replica gets its id back and replaces
// its former self in the group at once; two processes on one host get
// different slots, so they never fence each other.
func newMembership(k config.Kafka) membership {
	switch k.InstanceID {
	case config.InstanceIDNone:
		return membership{why: "kafka.instance_id is none", release: func() {}}
	case "":
	default:
		return membership{id: k.InstanceID, release: func() {}}
	}
	if v, err := sarama.ParseKafkaVersion(k.Version); err != nil || !v.IsAtLeast(sarama.V2_4_0_0) {
		return membership{why: "kafka.version is below 2.4.0, which leaving the group under a static id needs", release: func() {}}
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return membership{why: fmt.Sprintf("no host name to derive an id from (%v)", err), release: func() {}}
	}
	dir := filepath.Join(os.TempDir(), "landerd")
	sum := sha256.Sum256([]byte(k.Group))
	prefix := filepath.Join(dir, "member-"+hex.EncodeToString(sum[:8]))
	slot, release, err := lockSlot(dir, prefix, maxSlots)
	if err != nil {
		return membership{why: fmt.Sprintf("no slot lock for a derived id: %v", err), release: func() {}}
	}
	return membership{id: instanceID(host, slot), derived: true, release: release}
}

// instanceID is the id derived from a host name and a slot: the host name
// with every character Kafka refuses replaced by '_', cut to fit, then
// "-" and the slot.
func instanceID(host string, slot int) string {
	suffix := fmt.Sprintf("-%d", slot)
	clean := strings.Map(func(r rune) rune {
		if sink.TopicChar(r) {
			return r
		}
		return '_'
	}, host)
	if room := sink.MaxTopicLength - len(suffix); len(clean) > room {
		clean = clean[:room]
	}
	return clean + suffix
}

// leaveRequest is the LeaveGroup (v3 or later, KIP-345) that removes a
// static member: the member id says which incarnation leaves, so that a
// newer process that took the id over is not removed.
func leaveRequest(v sarama.KafkaVersion, group, memberID, instanceID string) *sarama.LeaveGroupRequest {
	req := &sarama.LeaveGroupRequest{
		Version: 3,
		GroupId: group,
		Members: []sarama.MemberIdentity{{MemberId: memberID, GroupInstanceId: &instanceID, Reason: &leaveReason}},
	}
	if v.IsAtLeast(sarama.V3_2_0_0) {
		req.Version = 5
	} else if v.IsAtLeast(sarama.V2_4_0_0) {
		req.Version = 4
	}
	return req
}

// leaveGroup removes a static member from the group: sarama does not send
// a LeaveGroup when a static member closes, so without this its partitions
// stay unassigned until the session timeout passes.
func leaveGroup(client sarama.Client, group, memberID, instanceID string) error {
	coordinator, err := client.Coordinator(group)
	if err != nil {
		return fmt.Errorf("leave group %s: find coordinator: %w", group, err)
	}
	resp, err := coordinator.LeaveGroup(leaveRequest(client.Config().Version, group, memberID, instanceID))
	if err != nil {
		return fmt.Errorf("leave group %s: %w", group, err)
	}
	if !errors.Is(resp.Err, sarama.ErrNoError) {
		return fmt.Errorf("leave group %s: %w", group, resp.Err)
	}
	for _, m := range resp.Members {
		if !errors.Is(m.Err, sarama.ErrNoError) {
			return fmt.Errorf("leave group %s as %s: %w", group, instanceID, m.Err)
		}
	}
	return nil
}

// leaveReason is the reason a LeaveGroup v5 gives the coordinator's log.
var leaveReason = "landerd shutting down"
