package minidfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
)

// Config says what cluster to start. Zero values take the defaults.
type Config struct {
	// DataNodes is the number of DataNodes; the default is 3.
	DataNodes int
	// NameNodePort is the NameNode's RPC port; 0 picks a free one.
	NameNodePort int
	// BlockSize is dfs.blocksize; the default is DefaultBlockSize, small
	// enough for tests to cross block boundaries cheaply.
	BlockSize int64
	// Conf holds further Hadoop settings (hdfs-site keys), applied last.
	Conf map[string]string
	// Dir keeps the cluster's data; empty means the test's temporary
	// directory with Start, and with New one the launcher removes on
	// shutdown.
	Dir string
	// LogPath is the file the launcher's log (its standard error) goes
	// to; empty means a new file in the system's temporary directory,
	// removed by Close unless the cluster failed.
	LogPath string
	// StartTimeout bounds the start, including a first install; the
	// default is 10 minutes.
	StartTimeout time.Duration
}

// DefaultBlockSize is the block size of a cluster started with a zero
// Config.BlockSize.
const DefaultBlockSize = 1 << 20

// commandTimeout bounds one command of the launcher protocol; restarting
// the NameNode waits for every DataNode to report again.
const commandTimeout = 3 * time.Minute

// Cluster is a running MiniDFSCluster process. Its methods are safe for
// concurrent use; commands run one at a time.
type Cluster struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string   // the launcher's stdout, line by line
	exited  chan struct{} // closed when the process has exited
	waitErr error         // the process's exit, once exited is closed
	readers sync.WaitGroup
	logPath string
	keepLog bool
	addr    string

	mu     sync.Mutex // serialises commands
	closed bool
	failed bool
}

// Start starts a cluster and shuts it down when tb's test ends. It fails
// the test, naming HDFS and the cause, when the cluster cannot start.
func Start(tb testing.TB, cfg Config) *Cluster {
	tb.Helper()
	if cfg.Dir == "" {
		// Removed by the testing package even when the launcher is killed.
		cfg.Dir = tb.TempDir()
	}
	start := time.Now()
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("start Apache HDFS (MiniDFSCluster): %v", err)
	}
	tb.Logf("Apache HDFS (MiniDFSCluster, %d DataNodes) at %s up in %s", orDefault(cfg.DataNodes, 3), c.URL(), time.Since(start).Round(time.Millisecond))
	tb.Cleanup(func() {
		if rss := c.PeakRSS(); rss > 0 {
			tb.Logf("Apache HDFS launcher's peak RSS: %d MiB", rss>>20)
		}
		if tb.Failed() {
			tb.Logf("HDFS launcher log %s ends:\n%s", c.logPath, c.LogTail(40))
			c.keepLog = true
		}
		if err := c.Close(); err != nil {
			tb.Errorf("stop Apache HDFS (MiniDFSCluster): %v", err)
		}
	})
	return c
}

// New starts a cluster through scripts/hdfs/launcher.sh and waits until it
// is ready. Close stops it.
func New(cfg Config) (*Cluster, error) {
	script, err := launcherScript()
	if err != nil {
		return nil, err
	}
	args := []string{script, "--datanodes", strconv.Itoa(orDefault(cfg.DataNodes, 3)),
		"--namenode-port", strconv.Itoa(cfg.NameNodePort),
		"--block-size", strconv.FormatInt(orDefault(cfg.BlockSize, DefaultBlockSize), 10)}
	if cfg.Dir != "" {
		args = append(args, "--dir", cfg.Dir)
	}
	for k, v := range cfg.Conf {
		args = append(args, "--conf", k+"="+v)
	}
	var logFile *os.File
	if cfg.LogPath != "" {
		logFile, err = os.Create(cfg.LogPath)
	} else {
		logFile, err = os.CreateTemp("", "landerd-minidfs-*.log")
	}
	if err != nil {
		return nil, fmt.Errorf("launcher log: %w", err)
	}
	c := &Cluster{
		lines:   make(chan string, 16),
		exited:  make(chan struct{}),
		logPath: logFile.Name(),
		keepLog: cfg.LogPath != "",
	}
	c.cmd = exec.Command("sh", args...)
	c.cmd.Stderr = logFile
	// Its own process group, so that Close can stop the JVM and anything
	// it started; and killed with the test binary.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.stdin, err = c.cmd.StdinPipe()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("launcher stdin: %w", err), logFile.Close())
	}
	// A pipe of our own rather than StdoutPipe: the reader drains it to
	// EOF whenever the process exits, independently of Wait.
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("launcher stdout: %w", err), logFile.Close())
	}
	c.cmd.Stdout = stdoutW
	err = c.cmd.Start()
	// The child holds its own copies of the log and the pipe's write end.
	err = errors.Join(err, stdoutW.Close(), logFile.Close())
	if err != nil {
		if c.cmd.Process != nil { // started, but the parent's copies did not close
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			_ = c.stdin.Close()
			_ = c.cmd.Wait()
		}
		return nil, errors.Join(fmt.Errorf("run %s: %w", script, err), stdout.Close())
	}
	c.readers.Add(2)
	go func() {
		defer c.readers.Done()
		defer close(c.lines)
		defer stdout.Close()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	go func() {
		defer c.readers.Done()
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()

	timeout := orDefault(cfg.StartTimeout, 10*time.Minute)
	line, err := c.next(timeout)
	if err == nil && !strings.HasPrefix(line, "READY ") {
		err = fmt.Errorf("launcher said %q, want READY hdfs://host:port", line)
	}
	if err == nil {
		c.addr, err = readyAddr(strings.TrimPrefix(line, "READY "))
	}
	if err != nil {
		c.kill()
		c.keepLog = true
		return nil, fmt.Errorf("%w\nlauncher log %s ends:\n%s", err, c.logPath, c.LogTail(30))
	}
	return c, nil
}

// readyAddr returns the host:port of the READY line's URL.
func readyAddr(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "hdfs" || u.Port() == "" {
		return "", fmt.Errorf("launcher said READY %q, want hdfs://host:port", raw)
	}
	return u.Host, nil
}

// next returns the launcher's next line of output.
func (c *Cluster) next(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line, ok := <-c.lines:
		if ok {
			return line, nil
		}
		<-c.exited
		return "", fmt.Errorf("launcher exited (%v)", c.waitErr)
	case <-t.C:
		return "", fmt.Errorf("launcher gave no answer within %s", timeout)
	}
}

// Addr returns the NameNode's address, host:port.
func (c *Cluster) Addr() string { return c.addr }

// URL returns the NameNode's URL, hdfs://host:port.
func (c *Cluster) URL() string { return "hdfs://" + c.addr }

// LogPath returns the launcher's log file.
func (c *Cluster) LogPath() string { return c.logPath }

// Superuser returns the HDFS superuser: the OS user running the cluster.
func Superuser() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("hdfs superuser: %w", err)
	}
	return u.Username, nil
}

// Age sets the modification time of every file under root the duration
// by back, as if that much time had passed since each was written, as the
// superuser through landerd's HDFS client.
func (c *Cluster) Age(root string, by time.Duration) error {
	su, err := Superuser()
	if err != nil {
		return err
	}
	client, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.addr}, User: su})
	if err != nil {
		return fmt.Errorf("age the files under %s: %w", root, err)
	}
	defer client.Close()
	when := time.Now().Add(-by)
	err = client.Walk(root, func(name string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		return client.Chtimes(name, when, when)
	})
	if err != nil {
		return fmt.Errorf("age the files under %s: %w", root, err)
	}
	return nil
}

// StopDataNode stops DataNode i (0-based, numbered at start). The
// NameNode notices only when its heartbeats stop for long enough
// (dfs.namenode.heartbeat.recheck-interval), as in a real cluster.
func (c *Cluster) StopDataNode(i int) error {
	return c.command(fmt.Sprintf("stop-datanode %d", i))
}

// RestartDataNode starts DataNode i again on the same ports, stopping it
// first when it runs, and waits until the NameNode has registered it.
func (c *Cluster) RestartDataNode(i int) error {
	return c.command(fmt.Sprintf("restart-datanode %d", i))
}

// RestartNameNode restarts the NameNode on the same port and waits until
// it is active and out of safe mode. Clients' connections break.
func (c *Cluster) RestartNameNode() error { return c.command("restart-namenode") }

// WaitActive waits until the NameNode is out of safe mode and every
// running DataNode is registered.
func (c *Cluster) WaitActive() error { return c.command("wait-active") }

// Mkdir creates the directory name as the superuser, then gives it owner,
// group and mode (permission bits, and the sticky bit as os.ModeSticky).
// Missing parents are created as the superuser's, with mode 0755.
func (c *Cluster) Mkdir(name, owner, group string, mode os.FileMode) error {
	perm := uint32(mode.Perm())
	if mode&os.ModeSticky != 0 {
		perm |= 0o1000
	}
	return c.command(fmt.Sprintf("mkdir %s %s %s %o", name, owner, group, perm))
}

// SetUserGroups makes user a member of exactly groups; users never named
// belong to no group.
func (c *Cluster) SetUserGroups(user string, groups ...string) error {
	return c.command(strings.Join(append([]string{"add-user-group", user}, groups...), " "))
}

// SetFACL adds the ACL entries of spec to name as the superuser, as
// `hdfs dfs -setfacl -m spec name` does (not recursively), e.g.
// "default:group:analysts:r-x,group:analysts:r-x".
func (c *Cluster) SetFACL(name, spec string) error {
	return c.command(fmt.Sprintf("setfacl %s %s", name, spec))
}

// Status is what the NameNode tells the superuser of a path.
type Status struct {
	Owner, Group string
	// Mode holds the permission bits; with an ACL, the group bits are
	// its mask.
	Mode os.FileMode
	// ACL holds the extended ACL entries, access entries first, then
	// default ones, as Hadoop writes them: "group:analysts:r-x",
	// "default:group:analysts:r-x", "default:mask::r-x".
	ACL []string
}

// Stat returns the owner, group, mode and ACL of name, asked as the
// superuser (getFileStatus and getAclStatus).
func (c *Cluster) Stat(name string) (Status, error) {
	out, err := c.do("stat " + name)
	if err != nil {
		return Status{}, err
	}
	f := strings.Fields(out)
	if len(f) != 4 {
		return Status{}, fmt.Errorf("hdfs launcher stat %s: answer %q, want OWNER GROUP MODE ACL", name, out)
	}
	mode, err := strconv.ParseUint(f[2], 8, 32)
	if err != nil {
		return Status{}, fmt.Errorf("hdfs launcher stat %s: mode %q: %w", name, f[2], err)
	}
	st := Status{Owner: f[0], Group: f[1], Mode: os.FileMode(mode & 0o777)}
	if f[3] != "-" {
		st.ACL = strings.Split(f[3], ",")
	}
	return st, nil
}

// ClientError is an exception the Hadoop client raised for a call made
// as a user.
type ClientError struct {
	Class   string // e.g. org.apache.hadoop.security.AccessControlException
	Message string
}

func (e *ClientError) Error() string { return e.Class + ": " + e.Message }

// ListAs lists the directory name as user, with Apache Hadoop's own client
// in the launcher's JVM. An exception of the client is a *ClientError.
func (c *Cluster) ListAs(user, name string) ([]string, error) {
	out, err := c.as("ls-as", user, name)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// ReadAs reads the file name whole as user, with Apache Hadoop's own
// client, and returns how many bytes it read. An exception of the client
// is a *ClientError.
func (c *Cluster) ReadAs(user, name string) (int64, error) {
	out, err := c.as("cat-as", user, name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("hdfs launcher cat-as %s %s: answer %q: %w", user, name, out, err)
	}
	return n, nil
}

// as runs a command as user and turns the client's exception into a
// *ClientError.
func (c *Cluster) as(cmd, user, name string) (string, error) {
	line := fmt.Sprintf("%s %s %s", cmd, user, name)
	out, err := c.do(line)
	var le *launcherError
	if errors.As(err, &le) {
		if class, msg, ok := strings.Cut(le.answer, ": "); ok && !strings.ContainsRune(class, ' ') {
			return "", fmt.Errorf("%s as %s: %w", name, user, &ClientError{Class: class, Message: msg})
		}
	}
	return out, err
}

// launcherError is the launcher's ERR answer to a command.
type launcherError struct {
	line, answer string
}

func (e *launcherError) Error() string { return fmt.Sprintf("hdfs launcher %q: %s", e.line, e.answer) }

// command sends one command and waits for its answer, OK with nothing
// after it.
func (c *Cluster) command(line string) error {
	out, err := c.do(line)
	if err == nil && out != "" {
		return fmt.Errorf("hdfs launcher %q: unexpected answer OK %s", line, out)
	}
	return err
}

// do sends one command and waits for its answer; it returns what follows
// OK.
func (c *Cluster) do(line string) (string, error) {
	if strings.ContainsAny(line, "\n\r") {
		return "", fmt.Errorf("hdfs launcher %q: a command is one line", line)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return "", fmt.Errorf("hdfs launcher %q: cluster closed", line)
	}
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		c.failed = true
		return "", fmt.Errorf("hdfs launcher %q: %w", line, err)
	}
	answer, err := c.next(commandTimeout)
	if err != nil {
		c.failed = true
		return "", fmt.Errorf("hdfs launcher %q: %w", line, err)
	}
	switch {
	case answer == "OK":
		return "", nil
	case strings.HasPrefix(answer, "OK "):
		return strings.TrimPrefix(answer, "OK "), nil
	case strings.HasPrefix(answer, "ERR "):
		return "", &launcherError{line: line, answer: strings.TrimPrefix(answer, "ERR ")}
	default:
		c.failed = true
		return "", fmt.Errorf("hdfs launcher %q: unexpected answer %q", line, answer)
	}
}

// Close shuts the cluster down: it asks the launcher to shut down and
// waits for it to exit, killing it after 30 seconds. It removes the log
// unless a command failed or the log was asked for.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	keep := c.keepLog || c.failed
	c.mu.Unlock()

	var err error
	if _, werr := io.WriteString(c.stdin, "shutdown\n"); werr == nil {
		_ = c.stdin.Close() // EOF shuts it down as well
	}
	select {
	case <-c.exited:
		if c.waitErr != nil {
			err = fmt.Errorf("launcher exited: %w", c.waitErr)
		}
	case <-time.After(30 * time.Second):
		c.kill()
		err = errors.New("launcher did not shut down within 30s; killed")
	}
	for range c.lines { // the answer to shutdown, and anything unread
	}
	c.readers.Wait()
	if err != nil {
		keep = true
		err = fmt.Errorf("%w\nlauncher log %s ends:\n%s", err, c.logPath, c.LogTail(20))
	}
	if !keep {
		if rerr := os.Remove(c.logPath); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// kill kills the launcher's process group and waits for the process.
func (c *Cluster) kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	_ = c.stdin.Close()
	<-c.exited
	for range c.lines {
	}
	c.readers.Wait()
}

// PeakRSS returns the launcher process's peak resident set size in bytes
// (VmHWM), or 0 where /proc does not tell or the process has exited.
func (c *Cluster) PeakRSS() int64 {
	return servertest.PeakRSS(c.cmd.Process.Pid)
}

// LogTail returns the last n lines of the launcher's log.
func (c *Cluster) LogTail(n int) string {
	return servertest.LogTail(c.logPath, n)
}

// launcherScript finds scripts/hdfs/launcher.sh at the root of the module
// the working directory belongs to.
func launcherScript() (string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", fmt.Errorf("find launcher: %w", err)
	}
	script := filepath.Join(root, "scripts", "hdfs", "launcher.sh")
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("find launcher: %w", err)
	}
	return script, nil
}

// orDefault returns v, or def when v is zero or less.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
