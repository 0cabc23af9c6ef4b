package lake

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
)

// hdfsConfig returns a configuration whose lake is root on the test
// cluster c.
func hdfsConfig(c *fakehdfs.Cluster, root string) config.Config {
	cfg := config.Default()
	cfg.Lake.URL = "hdfs://" + c.Addr() + root
	cfg.HDFS.User = "lander"
	cfg.HDFS.CallTimeout = 5 * time.Second
	return cfg
}

func TestOpenHDFS(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	lake, err := Open(hdfsConfig(c, "/data/lake"))
	if err != nil {
		t.Fatalf("open lake: %v", err)
	}
	defer func() {
		if err := lake.Close(); err != nil {
			t.Errorf("close lake: %v", err)
		}
	}()
	if got, want := lake.String(), "hdfs://"+c.Addr()+"/data/lake"; got != want {
		t.Errorf("lake = %s, want %s", got, want)
	}
	f, err := lake.Create("x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("landed")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The file is where the URL says, owned by the configured user.
	other, err := sink.NewHDFS("hdfs://"+c.Addr()+"/data", sink.HDFSOptions{User: "someone"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	fi, err := other.Stat("lake/x")
	if err != nil || fi.Size() != int64(len("landed")) {
		t.Fatalf("stat lake/x from the parent: %v, %v", fi, err)
	}
	if owner := fi.Sys(); owner == nil {
		t.Errorf("stat lake/x: no HDFS status")
	}
}

func TestOpenHDFSErrors(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	tests := []struct {
		name string
		edit func(cfg *config.Config)
		want string
		// config: the error is the configuration's fault (ErrConfig).
		config bool
	}{
		{"KerberosMissingKeytab", func(cfg *config.Config) {
			cfg.HDFS.User = ""
			cfg.HDFS.Kerberos = config.Kerberos{
				Enabled: true, Principal: "landerd/host@EXAMPLE.COM", Keytab: "/no/such.keytab",
				Krb5Conf: "/no/krb5.conf", ServicePrincipalName: "nn/_HOST",
			}
		}, "kerberos keytab /no/such.keytab", false},
		{"KerberosBadPrincipal", func(cfg *config.Config) {
			cfg.HDFS.Kerberos = config.Kerberos{Enabled: true, Principal: "landerd", Keytab: "k", Krb5Conf: "c"}
		}, "want name[/instance]@REALM", true},
		{"NoNameNode", func(cfg *config.Config) {
			cfg.Lake.URL = "hdfs://127.0.0.1:1/lake"
		}, "open lake", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := hdfsConfig(c, "/lake")
			tt.edit(&cfg)
			lake, err := Open(cfg)
			if err == nil {
				_ = lake.Close()
				t.Fatal("open lake succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if got := errors.Is(err, ErrConfig); got != tt.config {
				t.Errorf("error %q: errors.Is(ErrConfig) = %v; want %v", err, got, tt.config)
			}
		})
	}
}

var _ io.Closer = (*sink.HDFS)(nil)
