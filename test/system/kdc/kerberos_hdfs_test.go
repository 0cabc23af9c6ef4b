package kdc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/kafkacluster"
	"github.com/landerd/landerd/test/system/minidfs"
)

// TestLandsIntoKerberizedHDFS lands from Apache Kafka into a MiniDFSCluster
// that authenticates with Kerberos against the real KDC: the NameNode and
// DataNode log in with their own keytab, landerd with its own, and
// `landerd report` reads the lake back over Kerberos. The DataNodes run on
// unprivileged ports without SASL data-transfer protection
// (ignore.secure.ports.for.testing), with block access tokens, and
// permission checks are off. Without Kerberos the cluster must refuse
// landerd.
func TestLandsIntoKerberizedHDFS(t *testing.T) {
	const nn = "nn/127.0.0.1"
	k := Start(t, Config{Principals: []string{"lander", nn, "HTTP/127.0.0.1"}})
	// The launcher's JVM finds the realm through the KDC's krb5.conf.
	t.Setenv("JAVA_TOOL_OPTIONS", "-Djava.security.krb5.conf="+k.Krb5Conf())
	dfs := minidfs.Start(t, minidfs.Config{DataNodes: 1, Conf: map[string]string{
		"hadoop.security.authentication":            "kerberos",
		"dfs.namenode.kerberos.principal":           k.Principal(nn),
		"dfs.namenode.keytab.file":                  k.Keytab(nn),
		"dfs.datanode.kerberos.principal":           k.Principal(nn),
		"dfs.datanode.keytab.file":                  k.Keytab(nn),
		"dfs.web.authentication.kerberos.principal": k.Principal("HTTP/127.0.0.1"),
		"dfs.web.authentication.kerberos.keytab":    k.Keytab("HTTP/127.0.0.1"),
		"dfs.block.access.token.enable":             "true",
		"ignore.secure.ports.for.testing":           "true",
		"dfs.permissions.enabled":                   "false",
	}})

	kc := kafkacluster.Start(t, kafkacluster.Config{})
	ctx := t.Context()
	const topic, total = "attempts-krb", 2000
	if err := kc.CreateTopic(ctx, kafkacluster.TopicConfig{Name: topic, Partitions: 2}); err != nil {
		t.Fatalf("Apache Kafka: %v", err)
	}
	gen := attemptgen.New(attemptgen.Config{Seed: 14})
	recs := make([]*kgo.Record, total)
	for i := range recs {
		recs[i] = &kgo.Record{Partition: int32(i % 2), Value: gen.Next().Value}
	}
	if err := kc.Produce(ctx, topic, recs...); err != nil {
		t.Fatalf("Apache Kafka: %v", err)
	}

	cfgPath := filepath.Join(t.TempDir(), "landerd.yaml")
	cfg := fmt.Sprintf(`kafka:
  brokers: [%s]
  topic: %s
  group: landerd-krb
lake:
  url: %s/lake
  roll:
    max_file_age: 1s
hdfs:
  call_timeout: 10s
  kerberos:
    enabled: true
    principal: %s
    keytab: %s
    krb5_conf: %s
    service_principal_name: nn/_HOST
metrics:
  addr: ""
log:
  format: json
`, strings.Join(kc.Addrs(), ", "), topic, dfs.URL(), k.Principal("lander"), k.Keytab("lander"), k.Krb5Conf())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := repo.BuildLanderd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var runLog bytes.Buffer
	run := exec.Command(bin, "run", "--config", cfgPath)
	run.Stderr = &runLog
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	defer func() {
		if run.ProcessState == nil {
			_ = run.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("landerd run:\n%s", runLog.String())
		}
	}()

	// Wait until the group has committed every offset: landerd commits
	// only what is published in the lake.
	begin := time.Now()
	for {
		committed, err := kc.Committed(ctx, "landerd-krb", topic)
		if err == nil && committed[0]+committed[1] == total {
			break
		}
		if time.Since(begin) > 2*time.Minute {
			t.Fatalf("landerd committed %v of %d records within 2 minutes (%v)", committed, total, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("landed %d attempts into kerberized HDFS in %s", total, time.Since(begin).Round(10*time.Millisecond))
	if err := run.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("landerd run: %v", err)
	}

	var out bytes.Buffer
	rep := exec.Command(bin, "report", "--config", cfgPath, "--json")
	rep.Stdout, rep.Stderr = &out, &out
	if err := rep.Run(); err != nil {
		t.Fatalf("landerd report over Kerberos: %v\n%s", err, out.String())
	}
	var got struct {
		Quarantined int64 `json:"quarantined_rows"`
		Raw         struct {
			Attempts int64 `json:"attempts"`
		} `json:"raw"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("landerd report: %v\n%s", err, out.String())
	}
	if got.Raw.Attempts+got.Quarantined != total {
		t.Errorf("the lake holds %d attempts and %d quarantined rows, want %d in all", got.Raw.Attempts, got.Quarantined, total)
	}
	// Without Kerberos the same cluster refuses landerd at its first call.
	simplePath := filepath.Join(t.TempDir(), "simple.yaml")
	simple := fmt.Sprintf("lake:\n  url: %s/lake\nhdfs:\n  user: lander\n  call_timeout: 10s\n", dfs.URL())
	if err := os.WriteFile(simplePath, []byte(simple), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	rep = exec.Command(bin, "report", "--config", simplePath, "--json")
	rep.Stdout, rep.Stderr = &out, &out
	if err := rep.Run(); err == nil {
		t.Errorf("landerd report without Kerberos read the kerberized lake:\n%s", out.String())
	} else {
		t.Logf("without Kerberos: %v: %s", err, strings.TrimSpace(out.String()))
	}

	tickets := fmt.Sprintf("%s for %s", k.Principal("lander"), k.Principal(nn))
	if !hasLine(k.Log(), "TGS_REQ", "ISSUE", tickets) {
		t.Errorf("the KDC issued no service ticket for the NameNode to landerd:\n%s", k.Log())
	}
}
