package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
	"github.com/uptrace/bun/driver/pgdriver"
)

const (
	// startTimeout bounds the wait for a started server to accept a query.
	startTimeout = time.Minute
	// stopTimeout bounds a shutdown; the server is then killed.
	stopTimeout = 30 * time.Second
	// superuser is the cluster's bootstrap superuser, which creates the
	// test's user and database.
	superuser = "postgres"
	// osUser is the user initdb and the server run as when the test runs
	// as root: Debian's package creates it.
	osUser = "postgres"
)

// Config says what the cluster holds.
type Config struct {
	// Database is the database to create; empty means "landerd".
	Database string
	// User owns Database and logs in with a random password; empty means
	// "landerd". It is an ordinary role, not a superuser.
	User string
}

// Server is a PostgreSQL cluster in a temporary directory and, while it
// runs, its server process. Start, Stop, Kill, Restart, Running, Pid,
// PeakRSS and Memory are for one goroutine at a time; the addresses and
// credentials never change and may be read from any goroutine.
type Server struct {
	bin       string // holds initdb and postgres
	dir       string // holds data/ and postgres.log
	addr      string // 127.0.0.1:port, the same for every start
	cred      *syscall.Credential
	version   string
	database  string
	user      string
	password  string
	superPass string
	proc      *process // nil while stopped
	started   time.Duration
	peak      int64
}

// process is one run of the server.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // what Wait returned; set before done closes
}

// identifier is what Config accepts as a database or user name: a
// lower-case SQL identifier that needs no quoting.
var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Start creates a cluster in a directory of the test's, starts its server
// on a free 127.0.0.1 port and creates cfg's user and database; the test's
// cleanup stops the server. Any problem fails the test with a message
// starting "PostgreSQL:".
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	begin := time.Now()
	s, err := Launch(tb.TempDir(), cfg)
	if err != nil {
		tb.Fatalf("PostgreSQL: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("PostgreSQL: %v", err)
		}
		if tb.Failed() {
			tb.Logf("PostgreSQL log (%s):\n%s", s.logPath(), s.LogTail(40))
		}
	})
	tb.Logf("PostgreSQL %s: at %s, cluster created and server up in %s (server start %s; cluster in %s)",
		s.version, s.addr, time.Since(begin).Round(10*time.Millisecond), s.started.Round(time.Millisecond), s.dir)
	return s
}

// Launch is Start for programs that are not tests (the benchmarks): it
// creates the cluster in dir, an empty directory that the caller removes,
// starts its server on a free 127.0.0.1 port and creates cfg's user and
// database. The caller stops the server (Stop). A server that started
// before a later step failed is stopped before Launch returns the error.
func Launch(dir string, cfg Config) (*Server, error) {
	if cfg.Database == "" {
		cfg.Database = "landerd"
	}
	if cfg.User == "" {
		cfg.User = "landerd"
	}
	for _, name := range []string{cfg.Database, cfg.User} {
		if !identifier.MatchString(name) {
			return nil, fmt.Errorf("name %q is not a lower-case SQL identifier", name)
		}
	}
	s, err := create(dir, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	if err := s.bootstrap(); err != nil {
		err = fmt.Errorf("create user %s and database %s: %w", s.user, s.database, err)
		if serr := s.Stop(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, err
	}
	return s, nil
}

// create installs the server if needed and creates the cluster in dir.
func create(dir string, cfg Config) (*Server, error) {
	out, err := repo.Script("scripts/postgres/install.sh")
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	bin := strings.TrimSpace(string(out))
	if bin == "" {
		return nil, errors.New("install: scripts/postgres/install.sh printed no bin directory")
	}
	addr, err := servertest.FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{
		bin:       bin,
		dir:       dir,
		addr:      addr,
		database:  cfg.Database,
		user:      cfg.User,
		password:  randomPassword(),
		superPass: randomPassword(),
	}
	if s.cred, err = serverUser(dir); err != nil {
		return nil, err
	}
	version, err := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", filepath.Join(bin, "postgres"), err)
	}
	s.version = strings.TrimPrefix(strings.TrimSpace(string(version)), "postgres (PostgreSQL) ")
	if err := s.initdb(); err != nil {
		return nil, err
	}
	return s, nil
}

// serverUser returns the credentials to run initdb and the server with:
// nil when this process is not root, else those of the postgres user, who
// is then given dir.
func serverUser(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(osUser)
	if err != nil {
		return nil, fmt.Errorf("the test runs as root, which PostgreSQL refuses, and there is no %s user to run it as (Debian's postgresql package creates one): %w", osUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", osUser, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", osUser, u.Gid, err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, fmt.Errorf("give %s to user %s: %w", dir, osUser, err)
	}
	// The test's temporary directories are root's alone (0700): let the
	// server's user pass through the one above dir.
	parent := filepath.Dir(dir)
	fi, err := os.Stat(parent)
	if err != nil {
		return nil, err
	}
	if mode := fi.Mode().Perm(); mode&0o001 == 0 {
		if err := os.Chmod(parent, mode|0o001); err != nil {
			return nil, fmt.Errorf("let user %s through %s: %w", osUser, parent, err)
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// initdb creates the cluster in dir/data: the superuser with a random
// password, password (SCRAM-SHA-256) authentication for every connection,
// UTF-8 without a locale.
func (s *Server) initdb() error {
	pwfile := filepath.Join(s.dir, "superuser.pw")
	if err := os.WriteFile(pwfile, []byte(s.superPass+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	if s.cred != nil {
		if err := os.Chown(pwfile, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return err
		}
	}
	cmd := exec.Command(filepath.Join(s.bin, "initdb"),
		"--pgdata="+s.dataDir(),
		"--username="+superuser,
		"--pwfile="+pwfile,
		"--auth=scram-sha-256",
		"--encoding=UTF8",
		"--no-locale",
		// A test's cluster need not survive a power cut.
		"--no-sync",
		"--no-instructions",
	)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = procAttr(s.cred)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// Start starts the server on the cluster's port and data directory and
// waits until it answers a query. It is how the test starts the server
// again after Stop or Kill; Start(tb, cfg) and Launch have already called it once.
func (s *Server) Start() error {
	if s.proc != nil {
		return fmt.Errorf("start postgres: already running (pid %d)", s.proc.cmd.Process.Pid)
	}
	_, port, _ := strings.Cut(s.addr, ":")
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"),
		"-D", s.dataDir(),
		"-p", port,
		"-c", "listen_addresses=127.0.0.1",
		// TCP only: a socket path under a test's directory can be too long.
		"-c", "unix_socket_directories=",
		// Committed data reaches the kernel, so it survives the server's
		// death (Kill), but is not flushed to disk: a test needs no more.
		"-c", "fsync=off",
	)
	cmd.Dir = s.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = procAttr(s.cred)
	launched := time.Now()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = cmd.Wait()
		_ = logFile.Close()
	}()
	s.proc = p
	if err := s.waitReady(p); err != nil {
		_ = s.stop(syscall.SIGQUIT)
		return fmt.Errorf("start postgres on %s: %w\n%s", s.addr, err, s.LogTail(30))
	}
	s.started = time.Since(launched)
	return nil
}

// waitReady waits until the server answers a query as the superuser, or
// exits, or startTimeout passes. A server still starting up or recovering
// refuses connections (SQLSTATE 57P03) and is asked again.
func (s *Server) waitReady(p *process) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	db := open(s.superuserDSN())
	defer db.Close()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		pingCtx, pingCancel := context.WithTimeout(ctx, 5*time.Second)
		last = db.PingContext(pingCtx)
		pingCancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited during start-up: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("no answer after %s: %v", startTimeout, last)
		case <-tick.C:
		}
	}
}

// bootstrap creates the test's user and database.
func (s *Server) bootstrap() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	db := open(s.superuserDSN())
	defer db.Close()
	// Names are checked identifiers and the password is hex: nothing here
	// needs quoting.
	for _, stmt := range []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", s.user, s.password),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", s.database, s.user),
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(stmt, " PASSWORD", 2)[0], err)
		}
	}
	return nil
}

// Stop shuts the server down fast (SIGINT: clients are disconnected, the
// server checkpoints) and waits for it to exit, killing it after 30s. The
// port then refuses connections until Start. Stopping a stopped server
// does nothing.
func (s *Server) Stop() error {
	return s.stop(syscall.SIGINT)
}

// Kill shuts the server down at once (SIGQUIT, PostgreSQL's immediate
// shutdown: no checkpoint, as after a crash) and waits for it to exit; the
// next Start recovers from the write-ahead log. Killing a stopped server
// does nothing.
func (s *Server) Kill() error {
	return s.stop(syscall.SIGQUIT)
}

// Restart stops the server (as Stop) and starts it again on the same port
// and data directory.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// stop sends sig to the server and waits for it to exit.
func (s *Server) stop(sig syscall.Signal) error {
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	s.peak = max(s.peak, servertest.PeakRSS(p.cmd.Process.Pid))
	select {
	case <-p.done:
		return fmt.Errorf("stop postgres: it had already exited: %v\n%s", p.err, s.LogTail(20))
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop postgres: %w", err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("stop postgres: still running %s after %s, killed", stopTimeout, sig)
	}
}

// Running reports whether the server process is running.
func (s *Server) Running() bool {
	if s.proc == nil {
		return false
	}
	select {
	case <-s.proc.done:
		return false
	default:
		return true
	}
}

// Pid returns the server's (the postmaster's) process id, or 0 while it
// is stopped.
func (s *Server) Pid() int {
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// StartTime returns how long the last Start took, from launching the
// server to its first answer.
func (s *Server) StartTime() time.Duration { return s.started }

// PeakRSS returns the highest peak resident set size (VmHWM) of the
// postmaster process over its runs so far, in bytes; the backends and
// helper processes it forks are not counted (see Memory).
func (s *Server) PeakRSS() int64 {
	if s.proc != nil {
		s.peak = max(s.peak, servertest.PeakRSS(s.proc.cmd.Process.Pid))
	}
	return s.peak
}

// Memory returns the memory the running server holds now, in bytes: the
// proportional set size (Pss) of the postmaster and of every process it
// forked, so that the shared buffers are counted once. It is 0 while the
// server is stopped or where /proc does not tell.
func (s *Server) Memory() int64 {
	if s.proc == nil {
		return 0
	}
	return treePss(s.proc.cmd.Process.Pid)
}

// Version returns the server's version, e.g. "15.20 (Debian 15.20-0+deb12u1)".
func (s *Server) Version() string { return s.version }

// Addr returns the server's host:port, 127.0.0.1:PORT.
func (s *Server) Addr() string { return s.addr }

// Host returns the address the server listens on, 127.0.0.1.
func (s *Server) Host() string {
	host, _, _ := strings.Cut(s.addr, ":")
	return host
}

// Port returns the server's TCP port.
func (s *Server) Port() int {
	_, port, _ := strings.Cut(s.addr, ":")
	n, _ := strconv.Atoi(port)
	return n
}

// Database returns the name of the test's database.
func (s *Server) Database() string { return s.database }

// User returns the name of the user owning the database.
func (s *Server) User() string { return s.user }

// Password returns the user's password.
func (s *Server) Password() string { return s.password }

// DSN returns the URL a Go driver connects to the database with, as the
// user: postgres://USER:PASSWORD@127.0.0.1:PORT/DATABASE?sslmode=disable.
func (s *Server) DSN() string {
	return dsn(s.user, s.password, s.addr, s.database)
}

// JDBCURL returns the database's JDBC URL,
// jdbc:postgresql://127.0.0.1:PORT/DATABASE; the user and password go
// beside it (User, Password), as JDBC properties.
func (s *Server) JDBCURL() string {
	return "jdbc:postgresql://" + s.addr + "/" + s.database
}

// Dir returns the cluster's directory: data/ and postgres.log.
func (s *Server) Dir() string { return s.dir }

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	return servertest.LogTail(s.logPath(), n)
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

func (s *Server) logPath() string { return filepath.Join(s.dir, "postgres.log") }

func (s *Server) superuserDSN() string {
	return dsn(superuser, s.superPass, s.addr, "postgres")
}

func dsn(user, password, addr, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     addr,
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// open returns a database handle for dsn through pgdriver, bun's
// PostgreSQL driver. iceberg-go's SQL catalog builds its queries with bun's
// PostgreSQL dialect and takes any database/sql driver; this one brings no
// module beyond bun.
func open(dsn string) *sql.DB {
	return sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithDialTimeout(5*time.Second)))
}

// randomPassword returns 32 random hex digits.
func randomPassword() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
