package lander

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"

	"github.com/landerd/landerd/internal/config"
)

// saramaConfig translates landerd's Kafka settings into sarama's.
func saramaConfig(k config.Kafka) (*sarama.Config, error) {
	c := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(k.Version)
	if err != nil {
		return nil, fmt.Errorf("kafka version: %w", err)
	}
	c.Version = v
	c.ClientID = k.ClientID
	c.Net.DialTimeout = k.DialTimeout
	// A JoinGroup may be held by the coordinator for the whole rebalance
	// timeout; config.Validate makes the read timeout outlast it.
	c.Net.ReadTimeout = k.NetReadTimeout()
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.AutoCommit.Enable = false // offsets are committed only after a publish
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	if k.InitialOffset == "newest" {
		c.Consumer.Offsets.Initial = sarama.OffsetNewest
	}
	c.Consumer.Group.Session.Timeout = k.SessionTimeout
	c.Consumer.Group.Heartbeat.Interval = k.HeartbeatInterval
	c.Consumer.Group.Rebalance.Timeout = k.RebalanceTimeout
	if k.InstanceID != "" && k.InstanceID != config.InstanceIDNone {
		c.Consumer.Group.InstanceId = k.InstanceID // a derived id is set by Run
	}
	// A partition whose next offset Kafka no longer has is never reset
	// silently: Setup decides, and records the gap.
	c.Consumer.Group.ResetInvalidOffsets = false
	c.Metadata.RefreshFrequency = k.MetadataRefresh // also how soon added partitions trigger a rebalance
	c.Metadata.Full = false                         // only the consumed topics
	switch k.BalanceStrategy {
	case "range":
		c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	case "roundrobin":
		c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	default:
		c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	}
	c.Consumer.Fetch.Default = int32(k.FetchMaxBytes)
	c.Consumer.Fetch.Max = 0 // fetch oversized messages too, so they can be quarantined
	c.ChannelBufferSize = k.ChannelBufferSize
	if k.TLS.Enabled {
		tc, err := tlsConfig(k.TLS)
		if err != nil {
			return nil, err
		}
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = tc
	}
	switch k.SASL.Mechanism {
	case "", config.SASLNone:
	case config.SASLPlain:
		c.Net.SASL.Enable = true
		c.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		c.Net.SASL.User = k.SASL.Username
		c.Net.SASL.Password = k.SASL.Password.Value()
	case config.SASLSCRAMSHA256:
		c.Net.SASL.Enable = true
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
		c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAM(scram.SHA256)
	case config.SASLSCRAMSHA512:
		c.Net.SASL.Enable = true
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
		c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAM(scram.SHA512)
	default:
		return nil, fmt.Errorf("kafka sasl mechanism %q is not supported", k.SASL.Mechanism)
	}
	if c.Net.SASL.Enable && c.Net.SASL.Mechanism != sarama.SASLTypePlaintext {
		c.Net.SASL.User = k.SASL.Username
		c.Net.SASL.Password = k.SASL.Password.Value()
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("kafka client config: %w", err)
	}
	return c, nil
}

func tlsConfig(t config.TLS) (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // operator's choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka tls ca %s: no PEM certificates", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}
