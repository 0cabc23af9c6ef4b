package fakehdfs

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Config sizes the cluster. Zero values take the defaults.
type Config struct {
	// BlockSize is the block size the NameNode advertises; the default is
	// 1 MiB, small enough for tests to cross block boundaries cheaply.
	BlockSize int64
	// Replication is the replication factor the NameNode advertises; the
	// default is 1 (the cluster has one DataNode).
	Replication int
}

// DefaultBlockSize is the block size of a cluster started with a zero
// Config.BlockSize.
const DefaultBlockSize = 1 << 20

// Cluster is a running test cluster. Its methods are safe for concurrent
// use.
type Cluster struct {
	cfg  Config
	nnLn net.Listener
	dnLn net.Listener
	wg   sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	nnConns   map[net.Conn]struct{}
	dnConns   map[net.Conn]struct{}
	nodes     map[string]*node // absolute path to inode
	blocks    map[uint64][]byte
	nextID    uint64
	calls     map[string]int
	nnDown    bool
	nnHung    bool
	failCalls map[string]int
	replicate int   // completes still to answer "not yet"
	dnFailAt  int64 // -1, or the data bytes after which a block write is dropped
	dnDown    bool
	injected  int // faults that took effect
}

// TB is the part of testing.TB that Start uses. It is declared here so
// that the package does not import testing: the demo links it into the
// shipped binary.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Start starts a cluster and stops it when tb's test ends.
func Start(tb TB, cfg Config) *Cluster {
	tb.Helper()
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("start hdfs test cluster: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("stop hdfs test cluster: %v", err)
		}
	})
	return c
}

// New starts a cluster listening on loopback ports. Close stops it.
func New(cfg Config) (*Cluster, error) {
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = DefaultBlockSize
	}
	if cfg.BlockSize%chunkSize != 0 {
		return nil, fmt.Errorf("block size %d: not a multiple of %d", cfg.BlockSize, chunkSize)
	}
	if cfg.Replication <= 0 {
		cfg.Replication = 1
	}
	nnLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen namenode: %w", err)
	}
	dnLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("listen datanode: %w", err), nnLn.Close())
	}
	c := &Cluster{
		cfg:       cfg,
		nnLn:      nnLn,
		dnLn:      dnLn,
		nnConns:   make(map[net.Conn]struct{}),
		dnConns:   make(map[net.Conn]struct{}),
		nodes:     map[string]*node{"/": {dir: true, perm: 0o755, owner: superuser, group: "supergroup", mtime: time.Now()}},
		blocks:    make(map[uint64][]byte),
		nextID:    1 << 30,
		calls:     make(map[string]int),
		failCalls: make(map[string]int),
		dnFailAt:  -1,
	}
	c.wg.Add(2)
	go c.accept(nnLn, c.nnConns, c.serveNameNode)
	go c.accept(dnLn, c.dnConns, c.serveDataNode)
	return c, nil
}

// Addr returns the NameNode's address, host:port.
func (c *Cluster) Addr() string { return c.nnLn.Addr().String() }

// Close stops the cluster: it closes the listeners and every connection
// and waits for its goroutines.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	for conn := range c.nnConns {
		conn.Close()
	}
	for conn := range c.dnConns {
		conn.Close()
	}
	c.mu.Unlock()
	err := errors.Join(c.nnLn.Close(), c.dnLn.Close())
	c.wg.Wait()
	return err
}

// accept serves every connection of ln with serve until ln closes.
func (c *Cluster) accept(ln net.Listener, conns map[net.Conn]struct{}, serve func(net.Conn)) {
	defer c.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		down := (ln == c.nnLn && c.nnDown) || (ln == c.dnLn && c.dnDown)
		if down {
			c.injected++
		}
		refuse := c.closed || down
		if !refuse {
			conns[conn] = struct{}{}
			c.wg.Add(1)
		}
		c.mu.Unlock()
		if refuse {
			conn.Close()
			continue
		}
		go func() {
			defer c.wg.Done()
			serve(conn)
			conn.Close()
			c.mu.Lock()
			delete(conns, conn)
			c.mu.Unlock()
		}()
	}
}

// SetNameNodeDown takes the NameNode down (true) or brings it back
// (false). While it is down, open connections are dropped and new ones
// are closed as soon as they are accepted; the namespace is kept.
func (c *Cluster) SetNameNodeDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nnDown = down
	if down {
		for conn := range c.nnConns {
			conn.Close()
			c.injected++
		}
	}
}

// SetNameNodeHung makes the NameNode read calls without ever answering
// them (true), or answer again (false). Calls read while it was hung stay
// unanswered.
func (c *Cluster) SetNameNodeHung(hung bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nnHung = hung
}

// SetDataNodeDown takes the DataNode down (true) or brings it back
// (false), dropping open connections; stored blocks are kept.
func (c *Cluster) SetDataNodeDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dnDown = down
	if down {
		for conn := range c.dnConns {
			conn.Close()
			c.injected++
		}
	}
}

// FailCalls makes the next n calls of the NameNode method (for example
// "rename2" or "complete") fail with java.io.IOException without changing
// the namespace.
func (c *Cluster) FailCalls(method string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failCalls[method] += n
}

// DelayCompletes makes the next n complete calls answer that the last
// block is not yet replicated, which the client reports as
// hdfs.ErrReplicating; the file stays open until a later complete.
func (c *Cluster) DelayCompletes(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replicate += n
}

// FailDataNodeAfter makes the DataNode drop the first block write started
// after this call that receives more than n bytes of data: it closes the
// connection without storing the block or acknowledging the packet that
// crossed n. The fault fires once; block writes shorter than n leave it
// armed.
func (c *Cluster) FailDataNodeAfter(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dnFailAt = n
}

// Calls returns how many calls of the NameNode method the cluster has
// received.
func (c *Cluster) Calls(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// Injected returns how many injected faults have taken effect: failed or
// delayed calls, dropped block writes, and connections a down node refused
// or dropped. Tests use it to check that a fault was exercised.
func (c *Cluster) Injected() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.injected
}

// dnPort returns the DataNode's transfer port.
func (c *Cluster) dnPort() int {
	_, p, _ := net.SplitHostPort(c.dnLn.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}
