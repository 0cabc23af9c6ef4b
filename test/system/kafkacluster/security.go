package kafkacluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// check reports settings the broker would reject, or that the format
// tool's --add-scram syntax cannot carry.
func (s *Security) check() error {
	var errs []error
	if s.Certificates.CAFile == "" || s.Certificates.BrokerKeystore == "" {
		errs = append(errs, errors.New("security: Certificates.CAFile and BrokerKeystore are required"))
	}
	for name, pw := range s.Users {
		if name == "" || strings.ContainsAny(name+pw, ",=[]\"' ") {
			errs = append(errs, fmt.Errorf("security: user %q: names and passwords may not be empty or hold , = [ ] quotes or spaces", name))
		}
	}
	for _, su := range s.SuperUsers {
		if _, ok := s.Users[su]; !ok {
			errs = append(errs, fmt.Errorf("security: super user %q is not among Users", su))
		}
	}
	return errors.Join(errs...)
}

// addProperties adds the SASL_SSL listener, its TLS files, SCRAM and the
// standard authorizer to a node's properties.
func (s *Security) addProperties(n *node, props map[string]string) {
	props["listeners"] += fmt.Sprintf(",SASL_SSL://127.0.0.1:%d", n.securePort)
	props["advertised.listeners"] += ",SASL_SSL://" + n.secureAddr()
	props["listener.security.protocol.map"] += ",SASL_SSL:SASL_SSL"
	props["sasl.enabled.mechanisms"] = SCRAMMechanism
	// The server side of SCRAM needs a login module entry for the
	// listener; the credentials themselves live in the cluster metadata.
	props["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"] = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
	props["ssl.keystore.type"] = "PEM"
	props["ssl.keystore.location"] = s.Certificates.BrokerKeystore
	props["ssl.truststore.type"] = "PEM"
	props["ssl.truststore.location"] = s.Certificates.CAFile
	// A SASL_SSL listener ignores a bare ssl.client.auth: only the
	// listener-prefixed setting applies to it.
	props["listener.name.sasl_ssl.ssl.client.auth"] = "none"
	if s.RequireClientCert {
		props["listener.name.sasl_ssl.ssl.client.auth"] = "required"
	}
	props["authorizer.class.name"] = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
	props["allow.everyone.if.no.acl.found"] = "false"
	supers := []string{"User:ANONYMOUS"}
	for _, u := range s.SuperUsers {
		supers = append(supers, "User:"+u)
	}
	props["super.users"] = strings.Join(supers, ";")
}

// scramArgs are the format tool's arguments creating the users.
func (s *Security) scramArgs() []string {
	var args []string
	for _, name := range slices.Sorted(maps.Keys(s.Users)) {
		args = append(args, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", SCRAMMechanism, name, s.Users[name]))
	}
	return args
}

// SecureClient returns a franz-go client seeded with every broker's
// SASL_SSL listener, authenticating as user with SCRAM-SHA-512 over TLS
// (presenting the client certificate too); opts come after. The caller
// closes it.
func (c *Cluster) SecureClient(user, password string, opts ...kgo.Opt) (*kgo.Client, error) {
	if c.security == nil {
		return nil, errors.New("secure client: the cluster was started without Security")
	}
	certs := c.security.Certificates
	ca, err := os.ReadFile(certs.CAFile)
	if err != nil {
		return nil, fmt.Errorf("secure client: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("secure client: %s holds no certificate", certs.CAFile)
	}
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certs.ClientCertFile != "" {
		pair, err := tls.LoadX509KeyPair(certs.ClientCertFile, certs.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("secure client: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(c.SecureAddrs()...),
		kgo.DialTLSConfig(tc),
		kgo.SASL(scram.Auth{User: user, Pass: password}.AsSha512Mechanism()),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("secure client: %w", err)
	}
	return cl, nil
}

// ACL is one rule allowing a principal an operation on a resource named
// literally, from any host.
type ACL struct {
	// Principal is e.g. "User:lander".
	Principal string
	// Resource is the kind of resource, e.g. kmsg.ACLResourceTypeTopic or
	// kmsg.ACLResourceTypeGroup.
	Resource kmsg.ACLResourceType
	// Name is the topic's or group's name.
	Name string
	// Operation is what is allowed, e.g. kmsg.ACLOperationRead (which
	// implies Describe).
	Operation kmsg.ACLOperation
}

// String is the rule as kafka-acls lists it.
func (a ACL) String() string {
	return fmt.Sprintf("%s may %s %s %q", a.Principal, a.Operation, a.Resource, a.Name)
}

// CreateACLs creates the rules through the PLAINTEXT listener, whose
// principal is a super user, and waits until every broker enforces them.
func (c *Cluster) CreateACLs(ctx context.Context, acls ...ACL) error {
	if c.security == nil {
		return errors.New("create acls: the cluster was started without Security")
	}
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateACLsRequest()
	for _, a := range acls {
		r := kmsg.NewCreateACLsRequestCreation()
		r.ResourceType = a.Resource
		r.ResourceName = a.Name
		r.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
		r.Principal = a.Principal
		r.Host = "*"
		r.Operation = a.Operation
		r.PermissionType = kmsg.ACLPermissionTypeAllow
		req.Creations = append(req.Creations, r)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create acls: %w", err)
	}
	for i, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			msg := ""
			if r.ErrorMessage != nil {
				msg = ": " + *r.ErrorMessage
			}
			return fmt.Errorf("create acl %s: %w%s", acls[i], err, msg)
		}
	}
	for _, n := range c.nodes {
		if err := c.waitACLs(ctx, n, len(acls)); err != nil {
			return err
		}
	}
	return nil
}

// waitACLs waits until node n describes at least want ACLs: each broker
// applies them from the metadata log on its own time.
func (c *Cluster) waitACLs(ctx context.Context, n *node, want int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.addr()))
	if err != nil {
		return fmt.Errorf("wait for acls: %w", err)
	}
	defer cl.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType = kmsg.ACLResourceTypeAny
		req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
		req.Operation = kmsg.ACLOperationAny
		req.PermissionType = kmsg.ACLPermissionTypeAny
		resp, err := req.RequestWith(ctx, cl.SeedBrokers()[0])
		got := 0
		if err == nil {
			for _, r := range resp.Resources {
				got += len(r.ACLs)
			}
			if got >= want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker %d: wait for %d acls (has %d): %w", n.id, want, got, ctx.Err())
		case <-tick.C:
		}
	}
}
