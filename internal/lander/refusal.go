package lander

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/IBM/sarama"

	"github.com/landerd/landerd/internal/config"
)

// ErrRefused marks an error for which the brokers refused landerd for
// good: its credentials, its client certificate, its certificate trust
// or its ACLs are wrong.
// Retrying cannot help, so Run returns it instead of backing off.
var ErrRefused = errors.New("refused by kafka")

// refusedError is a refusal described for the operator: what was refused
// to whom, then the client's own error. It matches ErrRefused.
type refusedError struct {
	what string
	err  error
}

func (e *refusedError) Error() string   { return e.what + ": " + e.err.Error() }
func (e *refusedError) Unwrap() []error { return []error{ErrRefused, e.err} }

// refusal returns err described as a refusal when it is one, naming the
// user, topic or group concerned, and nil otherwise.
func refusal(err error, k config.Kafka) error {
	if err == nil {
		return nil
	}
	var what string
	var cve *tls.CertificateVerificationError
	var opErr *net.OpError
	switch {
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed):
		what = fmt.Sprintf("kafka: SASL authentication failed for user %q (%s)", k.SASL.Username, k.SASL.Mechanism)
	case errors.Is(err, sarama.ErrTopicAuthorizationFailed):
		what = fmt.Sprintf("kafka: not authorised to read topic %q as user %q (TOPIC_AUTHORIZATION_FAILED)", k.Topic, k.SASL.Username)
	case errors.Is(err, sarama.ErrGroupAuthorizationFailed):
		what = fmt.Sprintf("kafka: not authorised to use consumer group %q as user %q (GROUP_AUTHORIZATION_FAILED)", k.Group, k.SASL.Username)
	case errors.Is(err, sarama.ErrClusterAuthorizationFailed):
		what = fmt.Sprintf("kafka: not authorised on the cluster as user %q (CLUSTER_AUTHORIZATION_FAILED)", k.SASL.Username)
	case errors.As(err, &cve):
		what = fmt.Sprintf("kafka: broker certificate not trusted (kafka.tls.ca_file %q)", k.TLS.CAFile)
	case k.TLS.Enabled && errors.As(err, &opErr) && opErr.Op == "remote error":
		// A TLS alert from the broker: it refused the handshake, most
		// often landerd's client certificate (or its absence).
		what = fmt.Sprintf("kafka: broker rejected the TLS handshake with client certificate %q (kafka.tls.cert_file)", k.TLS.CertFile)
		if k.TLS.CertFile == "" {
			what = "kafka: broker rejected the TLS handshake; no client certificate is configured (kafka.tls.cert_file)"
		}
	default:
		return nil
	}
	return &refusedError{what: what, err: err}
}
