package kdc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
)

// startTimeout bounds creating the realm and the KDC's start-up.
const startTimeout = time.Minute

// Config describes the realm to create.
type Config struct {
	// Realm is the Kerberos realm; empty means "LANDERD.TEST".
	Realm string
	// Principals are created with random keys and exported to keytabs:
	// "name" or "name/instance", without the realm.
	Principals []string
}

// KDC is a running key distribution centre.
type KDC struct {
	realm string
	dir   string
	addr  string
	cmd   *exec.Cmd
	done  chan struct{}
	err   error // what Wait returned; set before done closes
}

// Start creates the realm and starts its KDC; the test's cleanup stops it.
func Start(tb testing.TB, cfg Config) *KDC {
	tb.Helper()
	if cfg.Realm == "" {
		cfg.Realm = "LANDERD.TEST"
	}
	begin := time.Now()
	k, err := start(filepath.Join(tb.TempDir(), "kdc"), cfg)
	if err != nil {
		tb.Fatalf("Kerberos KDC (krb5kdc): %v", err)
	}
	tb.Cleanup(func() {
		if err := k.stop(); err != nil {
			tb.Errorf("Kerberos KDC (krb5kdc): %v", err)
		}
		if tb.Failed() {
			tb.Logf("Kerberos KDC log:\n%s", k.Log())
		}
	})
	tb.Logf("Kerberos KDC: realm %s at %s up in %s (files in %s)", k.realm, k.addr, time.Since(begin).Round(10*time.Millisecond), k.dir)
	return k
}

func start(dir string, cfg Config) (*KDC, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	if _, err := repo.Script("scripts/kdc/install.sh"); err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	addr, err := servertest.FreeAddr()
	if err != nil {
		return nil, err
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		return nil, err
	}
	args := append([]string{filepath.Join(root, "scripts", "kdc", "run.sh"), dir, cfg.Realm, port}, cfg.Principals...)
	cmd := exec.Command("sh", args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("start scripts/kdc/run.sh: %w", err)
	}
	k := &KDC{realm: cfg.Realm, dir: dir, addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(k.done)
		k.err = cmd.Wait()
		_ = out.Close()
	}()
	if err := k.waitUp(); err != nil {
		_ = k.stop()
		return nil, err
	}
	return k, nil
}

// waitUp waits until the KDC accepts TCP connections.
func (k *KDC) waitUp() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-k.done:
			return fmt.Errorf("exited during start-up: %v\n%s", k.err, k.output())
		case <-ctx.Done():
			return fmt.Errorf("not listening on %s after %s\n%s", k.addr, startTimeout, k.output())
		case <-tick.C:
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", k.addr)
		if err == nil {
			return c.Close()
		}
	}
}

// stop ends the KDC with SIGTERM and waits for it; it is safe to call
// more than once.
func (k *KDC) stop() error {
	select {
	case <-k.done:
		return nil
	default:
	}
	if err := k.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop: %w", err)
	}
	select {
	case <-k.done:
	case <-time.After(10 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.done
	}
	return nil
}

// output returns what run.sh and the KDC printed, and the setup log.
func (k *KDC) output() string {
	var b strings.Builder
	for _, name := range []string{"stdout.log", "setup.log", "kdc.log"} {
		if body, err := os.ReadFile(filepath.Join(k.dir, name)); err == nil {
			fmt.Fprintf(&b, "--- %s\n%s", name, body)
		}
	}
	return b.String()
}

// Realm returns the realm's name.
func (k *KDC) Realm() string { return k.realm }

// Addr returns the KDC's host:port (TCP and UDP).
func (k *KDC) Addr() string { return k.addr }

// Krb5Conf returns the path of a krb5.conf naming the realm and its KDC
// (TCP only).
func (k *KDC) Krb5Conf() string { return filepath.Join(k.dir, "krb5.conf") }

// Principal returns name@REALM.
func (k *KDC) Principal(name string) string { return name + "@" + k.realm }

// Keytab returns the path of the keytab exported for name (as given in
// Config.Principals).
func (k *KDC) Keytab(name string) string {
	return filepath.Join(k.dir, strings.ReplaceAll(name, "/", "_")+".keytab")
}

// Log returns the KDC's log so far: one line per request it answered.
func (k *KDC) Log() string {
	body, err := os.ReadFile(filepath.Join(k.dir, "kdc.log"))
	if err != nil {
		return fmt.Sprintf("(kdc.log: %v)", err)
	}
	return string(body)
}

// Kadmin runs one kadmin.local query against the realm's database, e.g.
// "cpw -randkey lander" to give a principal a new key.
func (k *KDC) Kadmin(query string) error {
	cmd := exec.Command(sbin("kadmin.local"), "-r", k.realm, "-q", query)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+k.Krb5Conf(), "KRB5_KDC_PROFILE="+filepath.Join(k.dir, "kdc.conf"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kadmin.local %q: %w\n%s", query, err, out)
	}
	return nil
}

// sbin returns the path of an administration program, which Debian puts in
// /usr/sbin, outside many users' PATH.
func sbin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return filepath.Join("/usr/sbin", name)
}
