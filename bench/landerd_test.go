package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/landerd/landerd/internal/config"
)

func TestLanderdConfigIsValid(t *testing.T) {
	// The harness's config file must load strictly and keep the production
	// defaults apart from where to connect and land, and, for iceberg, the
	// format and the catalog that needs no server.
	for _, format := range []string{formatHive, formatIceberg} {
		t.Run(format, func(t *testing.T) {
			cfg, err := loadConfigText(t, landerdConfig("127.0.0.1:9092", "t1", "g1", "/tmp/lake", "127.0.0.1:19464", format))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Kafka.Brokers[0] != "127.0.0.1:9092" || cfg.Kafka.Topic != "t1" || cfg.Kafka.Group != "g1" || cfg.Lake.URL != "/tmp/lake" {
				t.Errorf("overrides not applied: %+v %+v", cfg.Kafka, cfg.Lake)
			}
			if cfg.Metrics.Addr != "127.0.0.1:19464" {
				t.Errorf("metrics address %q not applied", cfg.Metrics.Addr)
			}
			want := defaultsWith(cfg)
			if format == formatIceberg {
				want.Lake.Format = config.FormatIceberg
				want.Lake.Iceberg.Catalog.Type = config.CatalogHadoop
			}
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("config differs from the defaults beyond brokers/topic/group/lake/metrics address and the lake format")
			}
		})
	}
}

func loadConfigText(t *testing.T, text string) (config.Config, error) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "landerd.yaml")
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(name, func(string) (string, bool) { return "", false })
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// defaultsWith returns the defaults with cfg's brokers, topic, group, lake
// and metrics address.
func defaultsWith(cfg config.Config) config.Config {
	d := config.Default()
	d.Kafka.Brokers, d.Kafka.Topic, d.Kafka.Group, d.Lake.URL = cfg.Kafka.Brokers, cfg.Kafka.Topic, cfg.Kafka.Group, cfg.Lake.URL
	d.Metrics.Addr = cfg.Metrics.Addr
	return d
}

// -brokers takes a comma-separated list and excludes -addr, which names the
// in-process broker's address.
func TestBrokersOption(t *testing.T) {
	o, err := parseOptions([]string{"-brokers", "127.0.0.1:19092,127.0.0.1:19094"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.1:19092", "127.0.0.1:19094"}; !reflect.DeepEqual(o.brokers, want) {
		t.Errorf("brokers = %q; want %q", o.brokers, want)
	}
	_, err = parseOptions([]string{"-brokers", "127.0.0.1:19092", "-addr", "127.0.0.1:9092"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Errorf("-brokers with -addr: err = %v; want the two to be refused together", err)
	}
}

// -formats lists the lake formats to measure, hive and iceberg by default,
// each at most once.
func TestFormatsOption(t *testing.T) {
	o, err := parseOptions(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{formatHive, formatIceberg}; !reflect.DeepEqual(o.formats, want) {
		t.Errorf("default formats = %q; want %q", o.formats, want)
	}
	if o, err = parseOptions([]string{"-formats", "iceberg"}, io.Discard); err != nil || !reflect.DeepEqual(o.formats, []string{formatIceberg}) {
		t.Errorf("-formats iceberg: formats %q, err %v", o.formats, err)
	}
	for _, bad := range []string{"parquet", "hive,hive", "hive,", ""} {
		if _, err := parseOptions([]string{"-formats", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "-formats") {
			t.Errorf("-formats %q: err = %v; want it refused", bad, err)
		}
	}
}
