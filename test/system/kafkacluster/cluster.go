package kafkacluster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/servertest"
)

// The Kafka versions the tests run against. DefaultVersion is the one
// docker-compose.yml ships.
const (
	// DefaultVersion is the Apache Kafka 4.x version brokers run unless a
	// Config names another.
	DefaultVersion = "4.1.0"
	// CompatVersion is the newest 3.9.x release, for compatibility runs.
	CompatVersion = "3.9.2"
)

// DefaultHeap is each broker's Java heap (-Xmx) unless a Config says
// otherwise.
const DefaultHeap = "512m"

// startTimeout bounds formatting and starting a broker until it answers
// metadata; the first start on a busy 2-core machine takes about 10 s.
const startTimeout = 2 * time.Minute

// stopTimeout bounds a controlled shutdown after SIGTERM; Stop kills the
// broker after it.
const stopTimeout = time.Minute

// closeTimeout is how long Close lets the brokers shut down before it
// kills them.
const closeTimeout = 20 * time.Second

// Config describes the cluster to start.
type Config struct {
	// Version is the Apache Kafka release; empty means DefaultVersion.
	Version string
	// Brokers is the number of nodes, each a combined broker and KRaft
	// controller; 0 means 1. Internal topics are replicated to
	// min(Brokers, 3) nodes with min.insync.replicas one less (at least 1).
	Brokers int
	// Heap is each broker's maximum Java heap, as -Xmx takes it; empty
	// means DefaultHeap.
	Heap string
	// Dir holds the nodes' data and logs; empty means a new directory of
	// the test's TempDir.
	Dir string
	// Properties are added to every node's server.properties, overriding
	// the package's choices (e.g. group.min.session.timeout.ms).
	Properties map[string]string
	// Security, when set, adds a SASL_SSL listener for clients, creates
	// SCRAM users when the storage is formatted and turns the standard
	// authorizer on. Nil keeps the cluster open, as before.
	Security *Security
}

// Security describes a secured cluster. Each node then has three
// listeners: PLAINTEXT (between brokers, and for the tests' own admin,
// produce and offset calls: its principal User:ANONYMOUS is a super
// user), CONTROLLER (PLAINTEXT, the KRaft quorum) and SASL_SSL for the
// clients under test, which authenticate with SCRAM-SHA-512 over TLS and
// are authorised by ACLs alone: allow.everyone.if.no.acl.found is false.
type Security struct {
	// Certificates are the TLS files the SASL_SSL listener serves and
	// trusts; NewCertificates makes them.
	Certificates Certificates
	// Users are the SCRAM-SHA-512 credentials created when each node's
	// storage is formatted (kafka-storage format --add-scram), name to
	// password.
	Users map[string]string
	// SuperUsers are user names (of Users) allowed everything, besides
	// the PLAINTEXT listener's User:ANONYMOUS.
	SuperUsers []string
	// RequireClientCert makes the SASL_SSL listener demand a client
	// certificate signed by the certificate authority
	// (ssl.client.auth=required).
	RequireClientCert bool
}

// SCRAMMechanism is the SASL mechanism of a secured cluster's users.
const SCRAMMechanism = "SCRAM-SHA-512"

// Cluster is a running set of brokers. Its methods may be called from
// several goroutines.
type Cluster struct {
	version   string
	clusterID string
	libs      string // the directory of the jars
	log4j     string // the log4j2 configuration file
	java      string
	heap      string
	security  *Security
	nodes     []*node
}

// node is one broker process with its fixed ports and directories.
type node struct {
	id         int
	port       int // PLAINTEXT listener
	ctrlPort   int // CONTROLLER listener
	securePort int // SASL_SSL listener; 0 unless the cluster is secured
	dir        string
	properties string // path of server.properties

	mu   sync.Mutex
	proc *process // nil while stopped
}

// process is one run of a node's JVM. done is closed once it has exited;
// err then holds what Wait returned.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start installs Kafka when needed, starts the cluster and waits until every
// broker answers metadata. The test's cleanup closes the cluster. Any
// problem fails the test with a message naming Apache Kafka and the cause.
func Start(tb testing.TB, cfg Config) *Cluster {
	tb.Helper()
	if cfg.Dir == "" {
		cfg.Dir = tb.TempDir()
	}
	begin := time.Now()
	c, err := start(cfg)
	if err != nil {
		tb.Fatalf("Apache Kafka: %v", err)
	}
	tb.Cleanup(func() {
		begin := time.Now()
		if err := c.Close(); err != nil {
			tb.Errorf("Apache Kafka: %v", err)
		}
		tb.Logf("Apache Kafka %s: stopped in %s", c.version, time.Since(begin).Round(10*time.Millisecond))
		if tb.Failed() {
			for _, n := range c.nodes {
				tb.Logf("Apache Kafka broker %d:\n%s", n.id, n.tail(15))
			}
		}
	})
	tb.Logf("Apache Kafka %s: %d broker(s) at %s up in %s (data and logs in %s)",
		c.version, len(c.nodes), strings.Join(c.Addrs(), ","), time.Since(begin).Round(10*time.Millisecond), cfg.Dir)
	return c
}

// New is Start for a program rather than a test (the soak bench,
// bench/soak): it starts the cluster in cfg.Dir, which must be set, and
// returns the first problem. The caller closes the cluster; the brokers
// also die with the calling process.
func New(cfg Config) (*Cluster, error) {
	if cfg.Dir == "" {
		return nil, errors.New("start Apache Kafka: Config.Dir must be set")
	}
	return start(cfg)
}

// start is Start without the test: it returns the first problem.
func start(cfg Config) (*Cluster, error) {
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.Brokers == 0 {
		cfg.Brokers = 1
	}
	if cfg.Brokers < 0 {
		return nil, fmt.Errorf("brokers %d: must be positive", cfg.Brokers)
	}
	if cfg.Heap == "" {
		cfg.Heap = DefaultHeap
	}
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	home, err := install(cfg.Version)
	if err != nil {
		return nil, err
	}
	id, err := newClusterID()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		version:   cfg.Version,
		clusterID: id,
		libs:      filepath.Join(home, "libs"),
		log4j:     filepath.Join(home, "config", "log4j2.properties"),
		java:      java,
		heap:      cfg.Heap,
		security:  cfg.Security,
	}
	perNode := 2
	if c.security != nil {
		if err := c.security.check(); err != nil {
			return nil, err
		}
		perNode = 3
	}
	ports, err := freePorts(perNode * cfg.Brokers)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Brokers {
		n := &node{id: i + 1, port: ports[perNode*i], ctrlPort: ports[perNode*i+1], dir: filepath.Join(cfg.Dir, fmt.Sprintf("broker-%d", i+1))}
		if c.security != nil {
			n.securePort = ports[perNode*i+2]
		}
		for _, d := range []string{n.dataDir(), n.logDir()} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, fmt.Errorf("broker %d: %w", n.id, err)
			}
		}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		n.properties = filepath.Join(n.dir, "server.properties")
		if err := os.WriteFile(n.properties, []byte(c.serverProperties(n, cfg.Properties)), 0o644); err != nil {
			return nil, fmt.Errorf("broker %d: %w", n.id, err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// Format and start every node at once: a KRaft quorum of three elects
	// its leader only once two controllers run.
	if err := c.eachNode(func(n *node) error { return c.format(ctx, n) }); err != nil {
		return nil, err
	}
	for _, n := range c.nodes {
		if err := c.launch(n); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	if err := c.eachNode(func(n *node) error { return c.waitUp(ctx, n) }); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// eachNode runs fn for every node concurrently and returns the problems
// joined.
func (c *Cluster) eachNode(fn func(*node) error) error {
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() { errs[i] = fn(n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (n *node) dataDir() string { return filepath.Join(n.dir, "data") }
func (n *node) logDir() string  { return filepath.Join(n.dir, "logs") }
func (n *node) addr() string    { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }
func (n *node) secureAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.securePort))
}

// serverProperties is a node's configuration: combined broker and
// controller with a static voter set, quick group joins, and internal
// topics replicated as far as the cluster allows.
func (c *Cluster) serverProperties(n *node, extra map[string]string) string {
	rf := min(len(c.nodes), 3)
	minISR := max(1, rf-1)
	var voters []string
	for _, m := range c.nodes {
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", m.id, m.ctrlPort))
	}
	props := map[string]string{
		"process.roles":                                    "broker,controller",
		"node.id":                                          strconv.Itoa(n.id),
		"controller.quorum.voters":                         strings.Join(voters, ","),
		"controller.listener.names":                        "CONTROLLER",
		"listeners":                                        fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", n.port, n.ctrlPort),
		"advertised.listeners":                             "PLAINTEXT://" + n.addr(),
		"inter.broker.listener.name":                       "PLAINTEXT",
		"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"log.dirs":                                         n.dataDir(),
		"num.partitions":                                   "1",
		"default.replication.factor":                       strconv.Itoa(rf),
		"min.insync.replicas":                              strconv.Itoa(minISR),
		"offsets.topic.replication.factor":                 strconv.Itoa(rf),
		"offsets.topic.num.partitions":                     "5",
		"transaction.state.log.replication.factor":         strconv.Itoa(rf),
		"transaction.state.log.min.isr":                    strconv.Itoa(minISR),
		"share.coordinator.state.topic.replication.factor": strconv.Itoa(rf),
		"share.coordinator.state.topic.min.isr":            strconv.Itoa(minISR),
		"group.initial.rebalance.delay.ms":                 "0",
		"auto.create.topics.enable":                        "false",
		// Few threads: the brokers share 2 cores with the tests.
		"num.network.threads":               "2",
		"num.io.threads":                    "4",
		"num.recovery.threads.per.data.dir": "1",
		"log.cleaner.threads":               "1",
	}
	if c.security != nil {
		c.security.addProperties(n, props)
	}
	for k, v := range extra {
		props[k] = v
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	return b.String()
}

// jvm returns a java command running class with args, with the cluster's
// classpath and logging, and its output appended to the node's stdout.log.
func (c *Cluster) jvm(ctx context.Context, n *node, heap string, class string, args ...string) (*exec.Cmd, *os.File, error) {
	out, err := os.OpenFile(filepath.Join(n.logDir(), "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("broker %d: %w", n.id, err)
	}
	argv := []string{
		"-Xmx" + heap,
		// The client compiler alone and the serial collector halve the CPU
		// a broker burns while it starts (4 s instead of 8 s measured on
		// 2 busy cores), which matters more to tests than peak throughput.
		"-XX:TieredStopAtLevel=1",
		"-XX:+UseSerialGC",
		"-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile=" + c.log4j,
		"-Dkafka.logs.dir=" + n.logDir(),
		"-cp", filepath.Join(c.libs, "*"),
		class,
	}
	cmd := exec.CommandContext(ctx, c.java, append(argv, args...)...)
	cmd.Dir = n.dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = procAttr()
	return cmd, out, nil
}

// format writes the node's storage metadata for the cluster's id.
func (c *Cluster) format(ctx context.Context, n *node) error {
	args := []string{"format", "-t", c.clusterID, "-c", n.properties, "--ignore-formatted"}
	if c.security != nil {
		args = append(args, c.security.scramArgs()...)
	}
	cmd, out, err := c.jvm(ctx, n, "256m", "kafka.tools.StorageTool", args...)
	if err != nil {
		return err
	}
	err = cmd.Run()
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("broker %d: format storage (kafka.tools.StorageTool): %w\n%s", n.id, err, n.tail(20))
	}
	return nil
}

// launch starts the node's broker process.
func (c *Cluster) launch(n *node) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc != nil {
		return fmt.Errorf("broker %d: already running", n.id)
	}
	// The broker outlives any context of its caller: Kill, Stop and
	// Close end it.
	cmd, out, err := c.jvm(context.Background(), n, c.heap, "kafka.Kafka", n.properties)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return fmt.Errorf("broker %d: start java: %w", n.id, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = cmd.Wait()
		_ = out.Close()
	}()
	n.proc = p
	return nil
}

// running returns the node's process, or nil when it is stopped.
func (n *node) running() *process {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc
}

// waitUp waits until the node's process answers a metadata request that
// lists the node itself, or fails with the end of its logs.
func (c *Cluster) waitUp(ctx context.Context, n *node) error {
	p := n.running()
	if p == nil {
		return fmt.Errorf("broker %d: not running", n.id)
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("broker %d exited during start-up: %v\n%s", n.id, p.err, n.tail(30))
		case <-ctx.Done():
			return fmt.Errorf("broker %d did not answer metadata within %s (last: %v)\n%s", n.id, startTimeout, last, n.tail(30))
		case <-tick.C:
		}
		if last = probe(ctx, n); last == nil {
			return nil
		}
	}
}

// tail returns the last n lines of the node's server.log and stdout.log.
func (n *node) tail(lines int) string {
	var b strings.Builder
	for _, name := range []string{"server.log", "stdout.log"} {
		path := filepath.Join(n.logDir(), name)
		body, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "--- last lines of %s\n%s\n", path, servertest.LastLines(string(body), lines))
	}
	return b.String()
}

// Version returns the Kafka release the cluster runs.
func (c *Cluster) Version() string { return c.version }

// Addrs returns every broker's host:port, in node order, running or not.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.addr()
	}
	return out
}

// SecureAddrs returns every broker's SASL_SSL host:port, in node order;
// nil unless the cluster was started with Security.
func (c *Cluster) SecureAddrs() []string {
	if c.security == nil {
		return nil
	}
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.secureAddr()
	}
	return out
}

// Brokers returns the number of nodes.
func (c *Cluster) Brokers() int { return len(c.nodes) }

// LogDir returns the directory of broker i's logs (server.log,
// stdout.log).
func (c *Cluster) LogDir(i int) string { return c.nodes[i].logDir() }

// node returns node i (0-based) or an error.
func (c *Cluster) node(i int) (*node, error) {
	if i < 0 || i >= len(c.nodes) {
		return nil, fmt.Errorf("broker index %d: the cluster has %d", i, len(c.nodes))
	}
	return c.nodes[i], nil
}

// PID returns the process id of broker i, or 0 when it is stopped.
func (c *Cluster) PID(i int) int {
	n, err := c.node(i)
	if err != nil {
		return 0
	}
	if p := n.running(); p != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

// Kill sends SIGKILL to broker i and waits until it has exited.
func (c *Cluster) Kill(i int) error {
	return c.signal(i, syscall.SIGKILL, stopTimeout)
}

// Stop sends SIGTERM to broker i and waits up to a minute for its
// controlled shutdown, then kills it.
func (c *Cluster) Stop(i int) error {
	return c.signal(i, syscall.SIGTERM, stopTimeout)
}

// signal sends sig to broker i and waits up to limit for it to exit,
// killing it after that.
func (c *Cluster) signal(i int, sig syscall.Signal, limit time.Duration) error {
	n, err := c.node(i)
	if err != nil {
		return err
	}
	p := n.running()
	if p == nil {
		return fmt.Errorf("broker %d: not running", n.id)
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("broker %d: send %v: %w", n.id, sig, err)
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	var late error
	select {
	case <-p.done:
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		late = fmt.Errorf("broker %d: still running %s after %v: %w", n.id, limit, sig, errKilled)
	}
	n.mu.Lock()
	n.proc = nil
	n.mu.Unlock()
	return late
}

// errKilled reports a broker that did not exit after SIGTERM in time and
// was killed.
var errKilled = errors.New("killed")

// Restart starts stopped broker i again on its ports and data, and waits
// until it answers metadata.
func (c *Cluster) Restart(i int) error {
	n, err := c.node(i)
	if err != nil {
		return err
	}
	if err := c.launch(n); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return c.waitUp(ctx, n)
}

// Close stops every running broker with SIGTERM and waits for each,
// killing those still running after closeTimeout: the cluster is done
// with, so a slow controlled shutdown is no error. It removes nothing: the
// data and logs stay in the cluster's directory. It is safe to call more
// than once.
func (c *Cluster) Close() error {
	// SIGTERM to all at once, then wait for each, so that no broker's
	// controlled shutdown waits on a quorum that is already gone.
	return c.eachNode(func(n *node) error {
		if n.running() == nil {
			return nil
		}
		if err := c.signal(n.id-1, syscall.SIGTERM, closeTimeout); err != nil && !errors.Is(err, errKilled) {
			return err
		}
		return nil
	})
}

// findJava returns JAVA_HOME/bin/java when JAVA_HOME is set, else java
// from PATH.
func findJava() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		java := filepath.Join(home, "bin", "java")
		if _, err := os.Stat(java); err == nil {
			return java, nil
		}
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("find java (Kafka needs Java 17 or newer; set JAVA_HOME or put java on PATH): %w", err)
	}
	return java, nil
}

// newClusterID returns a random Kafka cluster id: 16 bytes, base64url
// without padding, as kafka-storage random-uuid prints.
func newClusterID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cluster id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4, like java.util.UUID.randomUUID
	b[8] = b[8]&0x3f | 0x80
	// An id starting with '-' reads as an option to kafka-storage's
	// argument parser ("--cluster-id: expected one argument"), which is
	// why Kafka's own random ids never start with one: the top bit of the
	// first byte cleared keeps the first character within A-Za-f.
	b[0] &= 0x7f
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are free
// when returned; another process may take one before the broker binds it,
// which fails the start with a bind error in the broker's log.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
