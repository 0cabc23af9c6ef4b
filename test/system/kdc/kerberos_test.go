package kdc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
)

// TestKeytabLoginAgainstKDC runs `landerd run` with an HDFS lake and
// hdfs.kerberos against a real MIT KDC. landerd logs in with its keytab
// before it opens the lake, so the login is what decides between the two
// outcomes here: with a good keytab the KDC issues the ticket-granting
// ticket (its log says so) and landerd gets as far as the NameNode, which
// is not running; with a stale keytab or a principal the KDC no longer
// knows, landerd stops at the login with exit code 1 and says so.
func TestKeytabLoginAgainstKDC(t *testing.T) {
	k := Start(t, Config{Principals: []string{"lander", "stale", "gone"}})
	// The stale principal gets a new key after its keytab was written; the
	// gone one is deleted.
	if err := k.Kadmin("cpw -randkey " + k.Principal("stale")); err != nil {
		t.Fatalf("Kerberos KDC: %v", err)
	}
	if err := k.Kadmin("delprinc -force " + k.Principal("gone")); err != nil {
		t.Fatalf("Kerberos KDC: %v", err)
	}
	bin, err := repo.BuildLanderd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Nothing listens on the NameNode's address.
	namenode, err := servertest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}

	run := func(t *testing.T, name string) (code int, out string) {
		t.Helper()
		cfg := fmt.Sprintf(`kafka:
  brokers: ["127.0.0.1:9"]
lake:
  url: hdfs://%s/lake
hdfs:
  call_timeout: 2s
  kerberos:
    enabled: true
    principal: %s
    keytab: %s
    krb5_conf: %s
    service_principal_name: nn/_HOST
log:
  format: json
`, namenode, k.Principal(name), k.Keytab(name), k.Krb5Conf())
		path := filepath.Join(t.TempDir(), "landerd.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "run", "--config", path)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("landerd still running a minute after start:\n%s", stderr.String())
		}
		code = cmd.ProcessState.ExitCode()
		t.Logf("landerd (principal %s) exited with code %d:\n%s", k.Principal(name), code, stderr.String())
		return code, stderr.String()
	}

	t.Run("good keytab", func(t *testing.T) {
		code, out := run(t, "lander")
		if code != 1 {
			t.Errorf("exit code %d, want 1 (the NameNode is not running)", code)
		}
		if strings.Contains(out, "kerberos login") {
			t.Errorf("the login failed:\n%s", out)
		}
		if !strings.Contains(out, namenode) {
			t.Errorf("the error does not name the NameNode %s, so the lake was never opened:\n%s", namenode, out)
		}
		want := "ISSUE: authtime"
		tgt := fmt.Sprintf("%s for krbtgt/%s@%s", k.Principal("lander"), k.Realm(), k.Realm())
		if !hasLine(k.Log(), "AS_REQ", want, tgt) {
			t.Errorf("the KDC issued no ticket-granting ticket to %s:\n%s", k.Principal("lander"), k.Log())
		}
	})
	for _, tc := range []struct {
		name, principal string
		kdcSays         string // in the KDC's log line for the request
	}{
		{"stale keytab", "stale", "PREAUTH_FAILED"},
		{"deleted principal", "gone", "CLIENT_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := run(t, tc.principal)
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if want := "kerberos login " + k.Principal(tc.principal); !strings.Contains(out, want) {
				t.Errorf("the error does not say %q:\n%s", want, out)
			}
			if !hasLine(k.Log(), "AS_REQ", k.Principal(tc.principal), tc.kdcSays) {
				t.Errorf("the KDC logged no %s for %s:\n%s", tc.kdcSays, k.Principal(tc.principal), k.Log())
			}
		})
	}
}

// hasLine reports whether one line of log holds every one of parts.
func hasLine(log string, parts ...string) bool {
	for _, l := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}
