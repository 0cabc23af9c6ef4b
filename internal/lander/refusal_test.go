package lander

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/IBM/sarama"

	"github.com/landerd/landerd/internal/config"
)

// TestRefusal checks which client errors end Run and what they say; the
// real brokers' answers are exercised in test/e2e's
// TestSecurityRealKafka.
func TestRefusal(t *testing.T) {
	k := config.Default().Kafka
	k.Topic, k.Group = "t", "g"
	k.SASL = config.SASL{Mechanism: config.SASLSCRAMSHA512, Username: "alice", Password: "never-printed"}
	k.TLS = config.TLS{Enabled: true, CAFile: "/etc/ca.pem", CertFile: "/etc/client.pem", KeyFile: "/etc/client-key.pem"}
	for _, tc := range []struct {
		name string
		err  error
		want string // "" when err is no refusal
	}{
		{"sasl", sarama.Wrap(sarama.ErrOutOfBrokers, sarama.ErrSASLAuthenticationFailed),
			`kafka: SASL authentication failed for user "alice" (scram-sha-512): kafka: client has run out of available brokers to talk to: kafka server: SASL Authentication failed`},
		{"topic", fmt.Errorf("t: %w", sarama.ErrTopicAuthorizationFailed),
			`kafka: not authorised to read topic "t" as user "alice" (TOPIC_AUTHORIZATION_FAILED): t: kafka server: The client is not authorized to access this topic`},
		{"group", sarama.ErrGroupAuthorizationFailed,
			`kafka: not authorised to use consumer group "g" as user "alice" (GROUP_AUTHORIZATION_FAILED): kafka server: The client is not authorized to access this group`},
		{"cluster", sarama.ErrClusterAuthorizationFailed,
			`kafka: not authorised on the cluster as user "alice" (CLUSTER_AUTHORIZATION_FAILED): kafka server: The client is not authorized to send this request type`},
		{"tls", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}},
			`kafka: broker certificate not trusted (kafka.tls.ca_file "/etc/ca.pem"): tls: failed to verify certificate: x509: certificate signed by unknown authority`},
		{"client certificate", sarama.Wrap(sarama.ErrOutOfBrokers, &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}),
			`kafka: broker rejected the TLS handshake with client certificate "/etc/client.pem" (kafka.tls.cert_file): kafka: client has run out of available brokers to talk to: remote error: tls: bad certificate`},
		{"outage", sarama.Wrap(sarama.ErrOutOfBrokers, io.EOF), ""},
		{"refused connection", sarama.Wrap(sarama.ErrOutOfBrokers, &net.OpError{Op: "dial", Err: errors.New("connection refused")}), ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := refusal(tc.err, k)
			if tc.want == "" {
				if got != nil {
					t.Fatalf("refusal(%v) = %v, want nil", tc.err, got)
				}
				return
			}
			if got == nil {
				t.Fatalf("refusal(%v) = nil, want %q", tc.err, tc.want)
			}
			if got.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", got.Error(), tc.want)
			}
			if !errors.Is(got, ErrRefused) || !errors.Is(got, tc.err) {
				t.Errorf("%v does not match ErrRefused and the client's error", got)
			}
		})
	}
}
