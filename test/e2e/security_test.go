package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/landerd/landerd/test/system/kafkacluster"
)

// secureKafka is a secured Apache Kafka whose daemons connect to the
// SASL_SSL listeners; the harness's own produce and offset calls keep the
// PLAINTEXT listener, whose principal is a super user.
type secureKafka struct{ realKafka }

func (k secureKafka) addrs() []string { return k.c.SecureAddrs() }

// secret returns a random password, so that finding it in a log cannot be
// a coincidence.
func secret(t *testing.T, prefix string) string {
	t.Helper()
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// TestSecurityRealKafka lands over TLS and SASL/SCRAM-SHA-512 from Apache
// Kafka 4.x with the standard authorizer, and checks that the daemon is
// refused, quickly and with one clear error and exit code 1, when its
// password is wrong, when no ACL lets it read the topic, when none lets it
// use the group, when it does not trust the broker's certificate and when
// the broker does not accept its client certificate. No password and no private key material may appear in
// any daemon's log, which holds the configuration `landerd run` prints.
func TestSecurityRealKafka(t *testing.T) {
	certs, err := kafkacluster.NewCertificates(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	passwords := map[string]string{
		"lander":   secret(t, "pw-lander-"),
		"no-topic": secret(t, "pw-no-topic-"),
		"no-group": secret(t, "pw-no-group-"),
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{Security: &kafkacluster.Security{
		Certificates:      certs,
		Users:             passwords,
		RequireClientCert: true,
	}}, timing: realShortTiming}
	s := setup{partitions: 2, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, kafka: ks}
	h := newHarness(t, s, testSeed(t))
	rk := h.broker.(realKafka)
	h.broker = secureKafka{rk}
	base := h.configYAML()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	read := func(user string, res kmsg.ACLResourceType, name string) kafkacluster.ACL {
		return kafkacluster.ACL{Principal: "User:" + user, Resource: res, Name: name, Operation: kmsg.ACLOperationRead}
	}
	if err := rk.c.CreateACLs(ctx,
		read("lander", kmsg.ACLResourceTypeTopic, h.topic),
		read("lander", kmsg.ACLResourceTypeGroup, h.group),
		read("no-topic", kmsg.ACLResourceTypeGroup, h.group),
		read("no-group", kmsg.ACLResourceTypeTopic, h.topic),
	); err != nil {
		t.Fatalf("Apache Kafka: %v", err)
	}
	const total = 3000
	if err := h.produce(ctx, total); err != nil {
		t.Fatal(err)
	}

	// What must never be printed: every password, the wrong one too, and
	// the base64 body of every private key the daemon or broker holds.
	wrong := secret(t, "pw-wrong-")
	forbidden := []string{wrong}
	for _, pw := range passwords {
		forbidden = append(forbidden, pw)
	}
	for _, f := range []string{certs.ClientKeyFile, certs.BrokerKeystore} {
		forbidden = append(forbidden, keyLines(t, f)...)
	}
	// daemonTLS is what the daemon's kafka.tls names; the refusal cases
	// change it.
	type daemonTLS struct{ ca, cert, key string }
	good := daemonTLS{certs.CAFile, certs.ClientCertFile, certs.ClientKeyFile}
	// useConfig writes the daemon's configuration; an empty password is
	// left to LANDERD_KAFKA_SASL_PASSWORD, as a deployment passes it.
	useConfig := func(user, password string, tc daemonTLS) {
		t.Helper()
		sec := fmt.Sprintf("kafka:\n  tls:\n    enabled: true\n    ca_file: %s\n", tc.ca)
		if tc.cert != "" {
			sec += fmt.Sprintf("    cert_file: %s\n    key_file: %s\n", tc.cert, tc.key)
		}
		sec += fmt.Sprintf("  sasl:\n    mechanism: scram-sha-512\n    username: %s\n", user)
		if password != "" {
			sec += fmt.Sprintf("    password: %q\n", password)
		}
		cfg := strings.Replace(base, "kafka:\n", sec, 1)
		if err := os.WriteFile(h.cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	checkSecrets := func(d *daemon) {
		t.Helper()
		log := d.tail(d.lineCount())
		for _, s := range forbidden {
			if strings.Contains(log, s) {
				t.Errorf("%s: the log holds secret material %q", d.name, s)
			}
		}
		starting := d.logs(isMsg("starting"))
		if len(starting) != 1 {
			t.Fatalf("%s: %d \"starting\" lines, want 1 with the configuration", d.name, len(starting))
		}
		if !strings.Contains(starting[0].raw, "[REDACTED]") || !strings.Contains(starting[0].raw, "scram-sha-512") {
			t.Errorf("%s: the printed configuration shows no redacted SCRAM password:\n%s", d.name, starting[0].raw)
		}
	}

	t.Run("lands", func(t *testing.T) {
		useConfig("lander", "", good)
		d := startDaemon(t, h, "landerd-secure", "LANDERD_KAFKA_SASL_PASSWORD="+passwords["lander"])
		h.waitLanded(h.endOffsets(ctx), 2*time.Minute, d)
		if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
			t.Fatalf("exit code %d after SIGTERM, want 0 (%v)", code, d.exitError())
		}
		sum := h.checkExactlyOnce(context.Background())
		t.Logf("lake: %s", sum)
		checkSecrets(d)
	})

	// Another authority, which signed neither the broker's certificate nor
	// landerd's.
	other, err := kafkacluster.NewCertificates(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{other.ClientKeyFile, other.BrokerKeystore} {
		forbidden = append(forbidden, keyLines(t, f)...)
	}
	for _, tc := range []struct {
		name, user, password string
		tls                  daemonTLS
		want                 []string // in the daemon's final error
	}{
		{"wrong password", "lander", wrong, good, []string{`SASL authentication failed for user "lander"`}},
		{"no topic ACL", "no-topic", passwords["no-topic"], good,
			[]string{fmt.Sprintf(`not authorised to read topic %q`, h.topic), "TOPIC_AUTHORIZATION_FAILED"}},
		{"no group ACL", "no-group", passwords["no-group"], good,
			[]string{fmt.Sprintf(`not authorised to use consumer group %q`, h.group), "GROUP_AUTHORIZATION_FAILED"}},
		{"untrusted broker", "lander", passwords["lander"], daemonTLS{other.CAFile, certs.ClientCertFile, certs.ClientKeyFile},
			[]string{fmt.Sprintf(`broker certificate not trusted (kafka.tls.ca_file %q)`, other.CAFile), "unknown authority"}},
		{"no client certificate", "lander", passwords["lander"], daemonTLS{ca: certs.CAFile},
			[]string{"broker rejected the TLS handshake; no client certificate is configured", "bad certificate"}},
		{"client certificate of another authority", "lander", passwords["lander"], daemonTLS{certs.CAFile, other.ClientCertFile, other.ClientKeyFile},
			[]string{fmt.Sprintf("broker rejected the TLS handshake with client certificate %q", other.ClientCertFile), "unknown certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			useConfig(tc.user, tc.password, tc.tls)
			d := startDaemon(t, h, "landerd-"+strings.ReplaceAll(tc.name, " ", "-"))
			const limit = 30 * time.Second
			select {
			case <-d.done:
			case <-time.After(limit):
				t.Fatalf("still running %s after start: refusals must end the daemon\n%s", limit, d.tail(20))
			}
			took := time.Since(d.started)
			code := d.cmd.ProcessState.ExitCode()
			final := d.logs(func(l logLine) bool { return strings.HasPrefix(l.raw, "landerd: ") })
			t.Logf("exited with code %d after %s", code, took.Round(time.Millisecond))
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if len(final) != 1 {
				t.Fatalf("%d final error lines, want 1:\n%s", len(final), d.tail(20))
			}
			t.Logf("final error: %s", final[0].raw)
			for _, w := range tc.want {
				if !strings.Contains(final[0].raw, w) {
					t.Errorf("final error %q does not say %q", final[0].raw, w)
				}
			}
			if retries := d.logs(isProblem); len(retries) > 0 {
				t.Errorf("%d warnings before the refusal, want none (no retry loop):\n%s", len(retries), d.tail(20))
			}
			checkSecrets(d)
		})
	}
}

// keyLines returns the base64 lines of every private key in a PEM file.
func keyLines(t *testing.T, path string) []string {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, l := range strings.Split(string(body), "\n") {
		switch {
		case strings.HasPrefix(l, "-----BEGIN") && strings.Contains(l, "PRIVATE KEY"):
			in = true
		case strings.HasPrefix(l, "-----END"):
			in = false
		case in && len(l) >= 16:
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no private key found", path)
	}
	return out
}
