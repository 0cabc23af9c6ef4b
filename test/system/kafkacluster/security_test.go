package kafkacluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestSecured starts a node with a SASL_SSL listener, SCRAM users made at
// format time and the standard authorizer, and checks that a user with
// ACLs on the topic and group reads it over TLS, that a wrong password is
// refused at authentication, that a user without ACLs is refused the topic
// and that a super user is not.
func TestSecured(t *testing.T) { secured(t, DefaultVersion) }

// TestSecuredCompatVersion does the same against the 3.9.x broker.
func TestSecuredCompatVersion(t *testing.T) { secured(t, CompatVersion) }

func secured(t *testing.T, version string) {
	certs, err := NewCertificates(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := Start(t, Config{Version: version, Security: &Security{
		Certificates:      certs,
		Users:             map[string]string{"reader": "r-secret-1", "stranger": "s-secret-2", "admin": "a-secret-3"},
		SuperUsers:        []string{"admin"},
		RequireClientCert: true,
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const topic, group = "guarded", "readers"
	if err := c.CreateTopic(ctx, TopicConfig{Name: topic, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateACLs(ctx,
		ACL{Principal: "User:reader", Resource: kmsg.ACLResourceTypeTopic, Name: topic, Operation: kmsg.ACLOperationRead},
		ACL{Principal: "User:reader", Resource: kmsg.ACLResourceTypeGroup, Name: group, Operation: kmsg.ACLOperationRead},
	); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 20 {
		recs = append(recs, record(0, i))
	}
	if err := c.Produce(ctx, topic, recs...); err != nil {
		t.Fatal(err)
	}

	// The reader consumes as a group member over SASL_SSL.
	cl, err := c.SecureClient("reader", "r-secret-1", kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(recs) && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("reader: fetch: %v", err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	cl.Close()
	if len(got) != len(recs) || got[0] != string(recs[0].Value) || got[19] != string(recs[19].Value) {
		t.Fatalf("reader got %d records (%q…), want %d", len(got), got, len(recs))
	}

	// A wrong password fails authentication.
	meta := func(user, pw string) error {
		cl, err := c.SecureClient(user, pw)
		if err != nil {
			return err
		}
		defer cl.Close()
		_, err = topicMetadata(ctx, cl, topic)
		return err
	}
	if err := meta("reader", "wrong"); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Errorf("wrong password: got %v, want SASL_AUTHENTICATION_FAILED", err)
	}
	// A user without ACLs is refused the topic.
	if err := meta("stranger", "s-secret-2"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("user without ACLs: got %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	// A super user needs no ACL.
	if err := meta("admin", "a-secret-3"); err != nil {
		t.Errorf("super user: %v", err)
	}
}
