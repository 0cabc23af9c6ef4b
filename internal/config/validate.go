package config

import (
	"time"

	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/IBM/sarama"

	"github.com/landerd/landerd/pkg/sink"
)

// Limits enforced by Validate.
const (
	// MinMemoryBudget is the smallest accepted memory.budget_bytes.
	MinMemoryBudget = 4 * MiB
	// MinMaxFileBytes is the smallest accepted lake.roll.max_file_bytes.
	MinMaxFileBytes = 1 * MiB
	// MinHDFSBlockSize is HDFS's default dfs.namenode.fs-limits.min-block-size.
	MinHDFSBlockSize = 1 * MiB
	// hdfsChecksumChunk is the granularity HDFS block sizes must respect.
	hdfsChecksumChunk = 512
)

var (
	validClientID  = regexp.MustCompile(`\A[A-Za-z0-9._-]+\z`)
	validPrincipal = regexp.MustCompile(`\A[^/@\s]+(/[^/@\s]+)?@[^/@\s]+\z`)
)

// FieldError is one problem found by Validate, naming the field by its
// YAML path, e.g. "kafka.brokers".
type FieldError struct {
	// Field is the dotted YAML path of the offending field.
	Field string
	// Err says what is wrong with it.
	Err error
}

// Error returns "field: problem".
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying problem.
func (e *FieldError) Unwrap() error { return e.Err }

// problems collects FieldErrors in the order they are found.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &FieldError{Field: field, Err: fmt.Errorf(format, args...)})
}

func (p *problems) addErr(field string, err error) {
	*p = append(*p, &FieldError{Field: field, Err: err})
}

// Validate checks every field and the rules between fields, and reports
// every problem at once: the result is nil or an errors.Join of
// *FieldError, in the order the fields appear in the file. It reads the
// TLS and Kerberos files it names when those are enabled, and opens no
// connection.
func (c Config) Validate() error {
	var p problems
	c.validateKafka(&p)
	c.validateTenancy(&p)
	c.validateLake(&p)
	c.validateHDFS(&p)
	if c.Memory.BudgetBytes < MinMemoryBudget {
		p.add("memory.budget_bytes", "must be at least %s, got %s", MinMemoryBudget, c.Memory.BudgetBytes)
	} else if c.Memory.BudgetBytes < c.Kafka.MaxMessageBytes {
		p.add("memory.budget_bytes", "must be at least kafka.max_message_bytes (%s), got %s", c.Kafka.MaxMessageBytes, c.Memory.BudgetBytes)
	}
	if c.Shutdown.Deadline <= 0 {
		p.add("shutdown.deadline", "must be positive, got %s", c.Shutdown.Deadline)
	}
	if c.Metrics.Addr != "" {
		if err := checkHostPort(c.Metrics.Addr, true); err != nil {
			p.addErr("metrics.addr", err)
		}
	}
	oneOf(&p, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(&p, "log.format", c.Log.Format, "json", "console")
	return errors.Join(p...)
}

func (c Config) validateKafka(p *problems) {
	k := c.Kafka
	if len(k.Brokers) == 0 {
		p.add("kafka.brokers", "must not be empty")
	}
	seen := make(map[string]bool, len(k.Brokers))
	for i, b := range k.Brokers {
		field := fmt.Sprintf("kafka.brokers[%d]", i)
		if err := checkHostPort(b, false); err != nil {
			p.addErr(field, err)
			continue
		}
		if seen[b] {
			p.add(field, "duplicate broker %q", b)
		}
		seen[b] = true
	}
	c.validateTopics(p)
	if k.Group == "" {
		p.add("kafka.group", "must not be empty")
	}
	if !validClientID.MatchString(k.ClientID) {
		p.add("kafka.client_id", "%q must be non-empty ASCII letters, digits, '.', '_' and '-'", k.ClientID)
	}
	if v, err := sarama.ParseKafkaVersion(k.Version); err != nil {
		p.add("kafka.version", "%q is not a Kafka version (want e.g. 2.8.0)", k.Version)
	} else if !v.IsAtLeast(sarama.V2_1_0_0) {
		p.add("kafka.version", "must be at least 2.1.0: Apache Kafka 4 brokers refuse older requests (KIP-896), got %s", k.Version)
	}
	oneOf(p, "kafka.initial_offset", k.InitialOffset, "oldest", "newest")
	oneOf(p, "kafka.balance_strategy", k.BalanceStrategy, "range", "roundrobin", "sticky")
	positive(p, "kafka.dial_timeout", k.DialTimeout)
	positive(p, "kafka.session_timeout", k.SessionTimeout)
	positive(p, "kafka.heartbeat_interval", k.HeartbeatInterval)
	if k.SessionTimeout > 0 && k.HeartbeatInterval > 0 && 3*k.HeartbeatInterval >= k.SessionTimeout {
		p.add("kafka.heartbeat_interval", "must be less than a third of kafka.session_timeout (%s), got %s", k.SessionTimeout, k.HeartbeatInterval)
	}
	positive(p, "kafka.rebalance_timeout", k.RebalanceTimeout)
	validateGroupTimeouts(p, k)
	if k.MaxMessageBytes <= 0 {
		p.add("kafka.max_message_bytes", "must be positive, got %s", k.MaxMessageBytes)
	}
	maxFetch := ByteSize(sarama.MaxResponseSize)
	if k.FetchMaxBytes <= 0 {
		p.add("kafka.fetch_max_bytes", "must be positive, got %s", k.FetchMaxBytes)
	} else if k.FetchMaxBytes > maxFetch {
		p.add("kafka.fetch_max_bytes", "must be at most %s (the client's largest response), got %s", maxFetch, k.FetchMaxBytes)
	}
	if k.ChannelBufferSize <= 0 {
		p.add("kafka.channel_buffer_size", "must be positive, got %d", k.ChannelBufferSize)
	}
	oneOf(p, "kafka.on_retention_gap", k.OnRetentionGap, GapContinue, GapStop)
	if k.MetadataRefresh < time.Second {
		p.add("kafka.metadata_refresh", "must be at least 1s, got %s", k.MetadataRefresh)
	}
	validateTLS(p, k.TLS)
	validateSASL(p, k.SASL)
}

// validateGroupTimeouts checks the group protocol's timeouts against each
// other. The client gives up on any response after kafka.read_timeout,
// and the coordinator may hold a JoinGroup for kafka.rebalance_timeout
// while it waits for the other members: a read timeout shorter than that
// abandons every join that waits for a dead member, and the rejoin waits
// again, for ever.
func validateGroupTimeouts(p *problems, k Kafka) {
	if k.RebalanceTimeout <= 0 {
		return
	}
	if k.SessionTimeout > 0 && k.RebalanceTimeout < k.SessionTimeout {
		p.add("kafka.rebalance_timeout", "must be at least kafka.session_timeout (%s), got %s", k.SessionTimeout, k.RebalanceTimeout)
	}
	if k.ReadTimeout < 0 {
		p.add("kafka.read_timeout", "must not be negative (0 derives it from kafka.rebalance_timeout), got %s", k.ReadTimeout)
	} else if rt := k.NetReadTimeout(); rt < k.RebalanceTimeout+JoinGroupGrace {
		p.add("kafka.read_timeout", "must be at least kafka.rebalance_timeout (%s) + %s: the coordinator may hold a JoinGroup for the whole rebalance timeout, got %s", k.RebalanceTimeout, JoinGroupGrace, rt)
	}
	if k.RevokeDeadline < 0 {
		p.add("kafka.revoke_deadline", "must not be negative (0 derives it from kafka.rebalance_timeout), got %s", k.RevokeDeadline)
	} else if d := k.RevokeFlushDeadline(); d >= k.RebalanceTimeout {
		p.add("kafka.revoke_deadline", "must be less than kafka.rebalance_timeout (%s), which bounds the revoked partition's flush and commit together, got %s", k.RebalanceTimeout, d)
	}
	if k.InstanceID == "" || k.InstanceID == InstanceIDNone {
		return
	}
	if sink.CheckTopic(k.InstanceID) != nil { // Kafka's rule for topic names
		p.add("kafka.instance_id", "%q must be at most %d ASCII letters, digits, '.', '_' and '-'", k.InstanceID, sink.MaxTopicLength)
	}
	if v, err := sarama.ParseKafkaVersion(k.Version); err == nil && !v.IsAtLeast(sarama.V2_3_0_0) {
		p.add("kafka.instance_id", "static membership needs kafka.version 2.3.0 or later, got %s", k.Version)
	}
}

func validateTLS(p *problems, t TLS) {
	if !t.Enabled {
		if t != (TLS{}) {
			p.add("kafka.tls", "ca_file, cert_file, key_file or insecure_skip_verify set but kafka.tls.enabled is false")
		}
		return
	}
	if t.CAFile != "" {
		if pem, err := os.ReadFile(t.CAFile); err != nil {
			p.addErr("kafka.tls.ca_file", err)
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			p.add("kafka.tls.ca_file", "%s holds no PEM certificate", t.CAFile)
		}
	}
	switch {
	case t.CertFile == "" && t.KeyFile == "":
	case t.CertFile == "":
		p.add("kafka.tls.cert_file", "must be set when kafka.tls.key_file is")
	case t.KeyFile == "":
		p.add("kafka.tls.key_file", "must be set when kafka.tls.cert_file is")
	default:
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			p.add("kafka.tls.cert_file", "load key pair: %v", err)
		}
	}
}

func validateSASL(p *problems, s SASL) {
	switch s.Mechanism {
	case SASLNone:
		if s.Username != "" || s.Password != "" {
			p.add("kafka.sasl", "username or password set but kafka.sasl.mechanism is none")
		}
		return
	case SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512:
	default:
		p.add("kafka.sasl.mechanism", "%q is not one of none, plain, scram-sha-256, scram-sha-512", s.Mechanism)
		return
	}
	if s.Username == "" {
		p.add("kafka.sasl.username", "must be set when kafka.sasl.mechanism is %s", s.Mechanism)
	}
	if s.Password == "" {
		p.add("kafka.sasl.password", "must be set when kafka.sasl.mechanism is %s", s.Mechanism)
	}
}

func (c Config) validateLake(p *problems) {
	l := c.Lake
	if _, err := l.Location(); err != nil {
		p.addErr("lake.url", err)
	}
	oneOf(p, "lake.partition_by", l.PartitionBy, PartitionByIngestDate, PartitionByEventDate)
	oneOf(p, "lake.compression", l.Compression, CompressionZstd, CompressionSnappy, CompressionGzip, CompressionNone)
	if l.Roll.MaxFileBytes < MinMaxFileBytes {
		p.add("lake.roll.max_file_bytes", "must be at least %s, got %s", MinMaxFileBytes, l.Roll.MaxFileBytes)
	}
	if l.Roll.MaxFileRecords <= 0 {
		p.add("lake.roll.max_file_records", "must be positive, got %d", l.Roll.MaxFileRecords)
	}
	positive(p, "lake.roll.max_file_age", l.Roll.MaxFileAge)
	switch {
	case l.RowGroupRows <= 0:
		p.add("lake.row_group_rows", "must be positive, got %d", l.RowGroupRows)
	case l.Roll.MaxFileRecords > 0 && int64(l.RowGroupRows) > l.Roll.MaxFileRecords:
		p.add("lake.row_group_rows", "must not exceed lake.roll.max_file_records (%d), got %d", l.Roll.MaxFileRecords, l.RowGroupRows)
	}
	c.validateIceberg(p)
}

func (c Config) validateHDFS(p *problems) {
	h := c.HDFS
	k := h.Kerberos
	// A half-configured Kerberos section is a mistake whatever the lake.
	if !k.Enabled && (k.Principal != "" || k.Keytab != "") {
		p.add("hdfs.kerberos", "principal or keytab set but hdfs.kerberos.enabled is false")
	}
	if k.Enabled {
		if k.Principal == "" {
			p.add("hdfs.kerberos.principal", "must be set when hdfs.kerberos.enabled is true")
		} else if !validPrincipal.MatchString(k.Principal) {
			p.add("hdfs.kerberos.principal", "%q is not of the form name[/instance]@REALM", k.Principal)
		}
		if k.Keytab == "" {
			p.add("hdfs.kerberos.keytab", "must be set when hdfs.kerberos.enabled is true")
		}
		if k.ServicePrincipalName == "" {
			p.add("hdfs.kerberos.service_principal_name", "must be set when hdfs.kerberos.enabled is true")
		}
		if k.Krb5Conf == "" {
			p.add("hdfs.kerberos.krb5_conf", "must be set when hdfs.kerberos.enabled is true")
		}
	}
	if !c.Lake.IsHDFS() {
		if h != Default().HDFS {
			p.add("hdfs", "set but lake.url is not hdfs://")
		}
		return
	}
	if k.Enabled {
		checkReadable(p, "hdfs.kerberos.keytab", k.Keytab)
		checkReadable(p, "hdfs.kerberos.krb5_conf", k.Krb5Conf)
		if h.User != "" {
			p.add("hdfs.user", "must be empty when hdfs.kerberos.enabled is true (the principal is the user)")
		}
	}
	positive(p, "hdfs.call_timeout", h.CallTimeout)
	if _, err := h.UmaskBits(); err != nil {
		p.add("hdfs.umask", "%v", err)
	}
	if strings.ContainsAny(h.Group, " \t:/") {
		p.add("hdfs.group", "must be a group name, got %q", h.Group)
	}
	if h.Replication < 0 {
		p.add("hdfs.replication", "must not be negative, got %d", h.Replication)
	}
	switch {
	case h.BlockSize == 0:
	case h.BlockSize < MinHDFSBlockSize:
		p.add("hdfs.block_size", "must be 0 (server default) or at least %s, got %s", MinHDFSBlockSize, h.BlockSize)
	case h.BlockSize%hdfsChecksumChunk != 0:
		p.add("hdfs.block_size", "must be a multiple of %d bytes, got %d", hdfsChecksumChunk, int64(h.BlockSize))
	}
}

func checkReadable(p *problems, field, name string) {
	if name == "" {
		return
	}
	f, err := os.Open(name)
	if err != nil {
		p.addErr(field, err)
		return
	}
	if err := f.Close(); err != nil {
		p.addErr(field, err)
	}
}

func oneOf[S ~string](p *problems, field string, got S, allowed ...S) {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		if got == a {
			return
		}
		names[i] = string(a)
	}
	p.add(field, "%q is not one of %s", got, strings.Join(names, ", "))
}

func positive[D ~int64](p *problems, field string, d D) {
	if d <= 0 {
		p.add(field, "must be positive, got %v", d)
	}
}

// checkHostPort accepts host:port with a numeric port; emptyHost allows
// ":port", which listens on every interface.
func checkHostPort(addr string, emptyHost bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if host == "" && !emptyHost {
		return fmt.Errorf("%q has no host", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port must be 1-65535", addr)
	}
	return nil
}
