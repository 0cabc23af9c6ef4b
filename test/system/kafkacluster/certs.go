package kafkacluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Certificates are the PEM files of a test certificate authority and the
// certificates it signed, all for 127.0.0.1 and localhost.
type Certificates struct {
	// CAFile is the authority's certificate: brokers and clients trust it.
	CAFile string
	// BrokerKeystore holds the brokers' private key (PKCS #8, unencrypted)
	// followed by their certificate, as Kafka's ssl.keystore.type=PEM reads
	// it.
	BrokerKeystore string
	// ClientCertFile and ClientKeyFile are a client certificate and its
	// private key, for mutual TLS.
	ClientCertFile string
	ClientKeyFile  string
}

// NewCertificates makes a certificate authority and, signed by it, a
// server certificate for 127.0.0.1/localhost and a client certificate,
// and writes them as PEM files into dir. Every call makes new keys.
func NewCertificates(dir string) (Certificates, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Certificates{}, fmt.Errorf("ca key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "landerd test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return Certificates{}, fmt.Errorf("ca certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return Certificates{}, fmt.Errorf("ca certificate: %w", err)
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) (certDER, keyDER []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("%s key: %w", cn, err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		certDER, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, fmt.Errorf("%s certificate: %w", cn, err)
		}
		keyDER, err = x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("%s key: %w", cn, err)
		}
		return certDER, keyDER, nil
	}
	brokerCert, brokerKey, err := leaf(2, "localhost", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return Certificates{}, err
	}
	clientCert, clientKey, err := leaf(3, "landerd", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return Certificates{}, err
	}
	c := Certificates{
		CAFile:         filepath.Join(dir, "ca.pem"),
		BrokerKeystore: filepath.Join(dir, "broker-keystore.pem"),
		ClientCertFile: filepath.Join(dir, "client.pem"),
		ClientKeyFile:  filepath.Join(dir, "client-key.pem"),
	}
	files := []struct {
		path   string
		blocks []*pem.Block
	}{
		{c.CAFile, []*pem.Block{{Type: "CERTIFICATE", Bytes: caDER}}},
		{c.BrokerKeystore, []*pem.Block{{Type: "PRIVATE KEY", Bytes: brokerKey}, {Type: "CERTIFICATE", Bytes: brokerCert}, {Type: "CERTIFICATE", Bytes: caDER}}},
		{c.ClientCertFile, []*pem.Block{{Type: "CERTIFICATE", Bytes: clientCert}}},
		{c.ClientKeyFile, []*pem.Block{{Type: "PRIVATE KEY", Bytes: clientKey}}},
	}
	for _, f := range files {
		var body []byte
		for _, b := range f.blocks {
			body = append(body, pem.EncodeToMemory(b)...)
		}
		if err := os.WriteFile(f.path, body, 0o600); err != nil {
			return Certificates{}, fmt.Errorf("write certificates: %w", err)
		}
	}
	return c, nil
}
