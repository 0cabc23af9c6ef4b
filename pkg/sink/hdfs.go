package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/user"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/colinmarc/hdfs/v2"
	krb "github.com/jcmturner/gokrb5/v8/client"
)

// DefaultHDFSCallTimeout bounds an HDFS call when HDFSOptions.CallTimeout
// is zero.
const DefaultHDFSCallTimeout = 30 * time.Second

// HDFSOptions configures an HDFS lake.
type HDFSOptions struct {
	// User is the HDFS user to act as without Kerberos. Empty means
	// $HADOOP_USER_NAME, then the OS user.
	User string
	// CallTimeout bounds every exchange with the NameNode and the
	// DataNodes: dialing, and each read or write on a connection. Zero
	// means DefaultHDFSCallTimeout.
	CallTimeout time.Duration
	// Replication is the replication factor of new files; 0 takes the
	// server default.
	Replication int
	// BlockSize is the block size of new files in bytes; 0 takes the
	// server default.
	BlockSize int64
	// KerberosClient, when set, authenticates to the cluster with
	// Kerberos; it must be logged in.
	KerberosClient *krb.Client
	// KerberosServicePrincipalName is the NameNode's service principal,
	// for example "nn/_HOST"; required with KerberosClient.
	KerberosServicePrincipalName string
	// Umask clears permission bits of the files (0666) and directories
	// (0777) landerd creates; nil means DefaultHDFSUmask (022).
	Umask *os.FileMode
	// Group, when set, becomes the group of the lake root. HDFS gives every
	// new file and directory its parent's group, so everything landerd
	// writes beneath the root belongs to it.
	Group string
}

// DefaultHDFSUmask is the umask of new lake files and directories: readable
// by everyone, writable by the owner, as Hadoop's fs.permissions.umask-mode.
const DefaultHDFSUmask os.FileMode = 0o022

func (o HDFSOptions) umask() os.FileMode {
	if o.Umask == nil {
		return DefaultHDFSUmask
	}
	return *o.Umask & 0o777
}

// HDFS is an [FS] on HDFS, rooted at a directory, written through
// github.com/colinmarc/hdfs/v2.
//
// HDFS provides the guarantees of FS natively: create is exclusive and
// does not create parents, rename2 with OVERWRITE replaces the target
// atomically, and a recursive delete is one atomic NameNode operation. A
// file's Close returns only when the NameNode has completed it, that is
// when its blocks are replicated; Close retries while the NameNode
// answers that replication is still in progress.
//
// The client takes no context, so every connection it dials is given a
// deadline of CallTimeout for each read and write. A connection that
// fails or times out may leave the client unusable (it does not
// resynchronise a NameNode connection after a timeout), so after such an
// error the next call dials a fresh client; files already open keep the
// client they were opened with. A write to a DataNode that fails is
// reported when its block is finished, at the block's end or by the
// file's Close, rather than by the Write that met it (see dataNodeConn).
type HDFS struct {
	addr    string
	root    string // absolute, cleaned
	opts    HDFSOptions
	timeout time.Duration

	mu  sync.Mutex
	cur *hdfsClient // nil until dialed, or after a transport error
}

// hdfsClient is a client shared by calls and open files, closed when it
// has been replaced and nothing uses it any more.
type hdfsClient struct {
	cl       *hdfs.Client
	refs     int
	replaced bool
}

// NewHDFS returns an HDFS lake for rawURL, hdfs://namenode:port/abs/root.
// It connects to the NameNode and creates the root when it is missing.
// Close releases the client.
func NewHDFS(rawURL string, opts HDFSOptions) (*HDFS, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("hdfs lake: %w", err)
	}
	if u.Scheme != "hdfs" || u.Host == "" || u.Port() == "" || !path.IsAbs(u.Path) {
		return nil, fmt.Errorf("hdfs lake %q: want hdfs://namenode:port/abs/path", rawURL)
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultHDFSCallTimeout
	}
	if opts.KerberosClient == nil && opts.User == "" {
		opts.User = os.Getenv("HADOOP_USER_NAME")
		if opts.User == "" {
			cur, err := user.Current()
			if err != nil {
				return nil, fmt.Errorf("hdfs lake: user: %w", err)
			}
			opts.User = cur.Username
		}
	}
	h := &HDFS{addr: u.Host, root: path.Clean(u.Path), opts: opts, timeout: opts.CallTimeout}
	err = h.do("mkdir", ".", func(cl *hdfs.Client) error {
		if err := cl.MkdirAll(h.root, h.dirPerm()); err != nil {
			return err
		}
		if opts.Group == "" {
			return nil
		}
		return setGroup(cl, h.root, opts.Group)
	})
	if err != nil {
		return nil, fmt.Errorf("hdfs lake %s: %w", h, errors.Join(err, h.Close()))
	}
	return h, nil
}

// setGroup gives name the group group unless it has it already. The
// NameNode's setOwner treats an empty user name as a change of owner, which
// only the superuser may make, so the call names the current owner.
func setGroup(cl *hdfs.Client, name, group string) error {
	fi, err := cl.Stat(name)
	if err != nil {
		return err
	}
	st, ok := fi.(*hdfs.FileInfo)
	if !ok {
		return fmt.Errorf("stat %s: unexpected %T", name, fi)
	}
	if st.OwnerGroup() == group {
		return nil
	}
	return cl.Chown(name, st.Owner(), group)
}

// String returns the lake as an hdfs:// URL.
func (h *HDFS) String() string { return "hdfs://" + h.addr + h.root }

// Close closes the client. Files still open keep theirs until they close.
func (h *HDFS) Close() error {
	h.mu.Lock()
	c := h.cur
	h.cur = nil
	var closeNow bool
	if c != nil {
		c.replaced = true
		closeNow = c.refs == 0
	}
	h.mu.Unlock()
	if closeNow {
		return c.cl.Close()
	}
	return nil
}

// full maps a lake path to an HDFS path.
func (h *HDFS) full(name string) string {
	if name == "." {
		return h.root
	}
	return path.Join(h.root, name)
}

// acquire returns the current client, dialing one when there is none.
func (h *HDFS) acquire() (*hdfsClient, error) {
	h.mu.Lock()
	if c := h.cur; c != nil {
		c.refs++
		h.mu.Unlock()
		return c, nil
	}
	h.mu.Unlock()
	cl, err := h.dial()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if c := h.cur; c != nil { // another call dialed first
		c.refs++
		h.mu.Unlock()
		return c, cl.Close()
	}
	c := &hdfsClient{cl: cl, refs: 1}
	h.cur = c
	h.mu.Unlock()
	return c, nil
}

// release returns a client acquired for a call that ended with err. A
// transport error retires the client.
func (h *HDFS) release(c *hdfsClient, err error) {
	h.mu.Lock()
	c.refs--
	if err != nil && !isRemote(err) && !c.replaced {
		c.replaced = true
		if h.cur == c {
			h.cur = nil
		}
	}
	closeNow := c.replaced && c.refs == 0
	h.mu.Unlock()
	if closeNow {
		_ = c.cl.Close() // retired after an error already reported
	}
}

// isRemote reports whether err is an answer from the cluster (an
// exception, or a missing or existing path) rather than a failure of the
// connection.
func isRemote(err error) bool {
	var he hdfs.Error
	return errors.As(err, &he) ||
		errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrInvalid) ||
		errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, errIsDir)
}

// dial connects a new client.
func (h *HDFS) dial() (*hdfs.Client, error) {
	cl, err := hdfs.NewClient(hdfs.ClientOptions{
		Addresses:                    []string{h.addr},
		User:                         h.opts.User,
		NamenodeDialFunc:             deadlineDialer(h.timeout),
		DatanodeDialFunc:             dataNodeDialer(h.timeout),
		KerberosClient:               h.opts.KerberosClient,
		KerberosServicePrincipleName: h.opts.KerberosServicePrincipalName,
	})
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", h.addr, err)
	}
	// The client caches the server's defaults on first use without a
	// lock, and every create and DataNode connection uses them: fetch them
	// before the client is shared, so that concurrent calls only read.
	if _, err := cl.ServerDefaults(); err != nil {
		return nil, errors.Join(fmt.Errorf("connect %s: server defaults: %w", h.addr, err), cl.Close())
	}
	return cl, nil
}

// do runs one call on a client and reports its error as an *fs.PathError
// naming the lake path.
func (h *HDFS) do(op, name string, call func(cl *hdfs.Client) error) error {
	c, err := h.acquire()
	if err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	err = call(c.cl)
	h.release(c, err)
	if err != nil {
		return hdfsPathErr(op, name, err)
	}
	return nil
}

// hdfsPathErr rewrites an error from the client so that it names the lake
// path rather than the HDFS one.
func hdfsPathErr(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// errIsDir is the error of opening a directory for reading.
var errIsDir = errors.New("is a directory")

// Create implements [FS].
func (h *HDFS) Create(name string) (File, error) {
	return h.CreatePerm(name, 0o666&^h.opts.umask())
}

// CreatePerm implements [FS]. The NameNode applies no umask to the
// permission a client sends; a default ACL of the parent directory still
// applies, as it does to every new file.
func (h *HDFS) CreatePerm(name string, perm fs.FileMode) (File, error) {
	if err := checkPath("create", name); err != nil {
		return nil, err
	}
	c, err := h.acquire()
	if err != nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: err}
	}
	w, err := h.create(c.cl, name, perm.Perm())
	if err != nil {
		h.release(c, err)
		return nil, hdfsPathErr("create", name, err)
	}
	return &hdfsFile{h: h, c: c, w: w, name: name}, nil
}

// Chmod implements [FS].
func (h *HDFS) Chmod(name string, perm fs.FileMode) error {
	if err := checkPath("chmod", name); err != nil {
		return err
	}
	return h.do("chmod", name, func(cl *hdfs.Client) error {
		return cl.Chmod(h.full(name), perm.Perm())
	})
}

// Chgrp implements [FS]. The NameNode's setOwner takes a user name too,
// and any name but the caller's own is a change of owner, which only the
// superuser may make: without Kerberos the call names HDFSOptions.User,
// with Kerberos the current owner, which costs a call more.
func (h *HDFS) Chgrp(name, group string) error {
	if err := checkPath("chgrp", name); err != nil {
		return err
	}
	return h.do("chgrp", name, func(cl *hdfs.Client) error {
		if h.opts.KerberosClient != nil {
			return setGroup(cl, h.full(name), group)
		}
		return cl.Chown(h.full(name), h.opts.User, group)
	})
}

// create creates name with permission perm and the configured or default
// replication and block size.
func (h *HDFS) create(cl *hdfs.Client, name string, perm os.FileMode) (*hdfs.FileWriter, error) {
	repl, bs := h.opts.Replication, h.opts.BlockSize
	if repl <= 0 || bs <= 0 {
		d, err := cl.ServerDefaults()
		if err != nil {
			return nil, err
		}
		if repl <= 0 {
			repl = d.Replication
		}
		if bs <= 0 {
			bs = d.BlockSize
		}
	}
	return cl.CreateFile(h.full(name), repl, bs, perm)
}

// Open implements [FS].
func (h *HDFS) Open(name string) (ReadFile, error) {
	if err := checkPath("open", name); err != nil {
		return nil, err
	}
	c, err := h.acquire()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	r, err := c.cl.Open(h.full(name))
	if err == nil && r.Stat().IsDir() {
		err = errors.Join(errIsDir, r.Close())
	}
	if err != nil {
		h.release(c, err)
		return nil, hdfsPathErr("open", name, err)
	}
	return &hdfsReadFile{FileReader: r, h: h, c: c}, nil
}

// Rename implements [FS].
func (h *HDFS) Rename(from, to string) error {
	if err := checkPath("rename", from); err != nil {
		return err
	}
	if err := checkPath("rename", to); err != nil {
		return err
	}
	return h.do("rename", from, func(cl *hdfs.Client) error {
		return cl.Rename(h.full(from), h.full(to))
	})
}

// dirPerm is the permission of the directories landerd creates.
func (h *HDFS) dirPerm() os.FileMode { return 0o777 &^ h.opts.umask() }

// MkdirAll implements [FS].
func (h *HDFS) MkdirAll(name string) error {
	if err := checkPath("mkdir", name); err != nil {
		return err
	}
	return h.do("mkdir", name, func(cl *hdfs.Client) error {
		return cl.MkdirAll(h.full(name), h.dirPerm())
	})
}

// RemoveAll implements [FS]. A recursive delete is atomic on the
// NameNode.
func (h *HDFS) RemoveAll(name string) error {
	if err := checkPath("remove", name); err != nil {
		return err
	}
	if name == "." {
		return &fs.PathError{Op: "remove", Path: name, Err: errors.New("cannot remove the lake root")}
	}
	return h.do("remove", name, func(cl *hdfs.Client) error {
		return cl.RemoveAll(h.full(name))
	})
}

// ReadDir implements [FS].
func (h *HDFS) ReadDir(name string) ([]fs.FileInfo, error) {
	if err := checkPath("readdir", name); err != nil {
		return nil, err
	}
	var infos []fs.FileInfo
	err := h.do("readdir", name, func(cl *hdfs.Client) error {
		var err error
		infos, err = cl.ReadDir(h.full(name))
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(infos, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return infos, nil
}

// Stat implements [FS].
func (h *HDFS) Stat(name string) (fs.FileInfo, error) {
	if err := checkPath("stat", name); err != nil {
		return nil, err
	}
	var fi fs.FileInfo
	err := h.do("stat", name, func(cl *hdfs.Client) error {
		var err error
		fi, err = cl.Stat(h.full(name))
		return err
	})
	if err != nil {
		return nil, err
	}
	return fi, nil
}

// hdfsFile is a file being written to HDFS.
type hdfsFile struct {
	h      *HDFS
	c      *hdfsClient
	w      *hdfs.FileWriter
	name   string
	err    error // first write error; the file is lost
	closed bool
}

// Write implements [File].
func (f *hdfsFile) Write(p []byte) (int, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrClosed}
	}
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.w.Write(p)
	if err != nil {
		f.err = hdfsPathErr("write", f.name, err)
		return n, f.err
	}
	return n, nil
}

// Close implements [File]: it completes the file, retrying while the
// NameNode reports that the last block is still replicating, for at most
// the call timeout.
func (f *hdfsFile) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	err := f.err
	if err == nil {
		err = closeReplicated(f.w, f.h.timeout)
		if err != nil {
			err = hdfsPathErr("close", f.name, err)
		}
	} else {
		// The file is lost; closing the writer still releases its block
		// pipeline: the connection to the DataNode and the client's
		// goroutines reading acknowledgements and sending heartbeats
		// (which end only because dataNodeConn lets the block finish). It
		// fails before completing the file, with the error already held.
		_ = f.w.Close()
	}
	f.h.release(f.c, err)
	return err
}

// closeReplicated closes w, retrying with backoff for up to limit while
// the NameNode answers hdfs.ErrReplicating.
func closeReplicated(w *hdfs.FileWriter, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	backoff := 50 * time.Millisecond
	for {
		err := w.Close()
		if !hdfs.IsErrReplicating(err) || time.Now().Add(backoff).After(deadline) {
			return err
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

// hdfsReadFile is a file open for reading on HDFS.
//
// The client's FileReader.ReadAt is a Seek then a Read: it moves the
// offset Read and Seek use, and two calls at once interleave and read the
// wrong bytes. io.ReaderAt promises neither, and Parquet readers (arrow's,
// in iceberg-go's scans) issue ReadAt calls in parallel, so every call is
// serialised here and ReadAt puts the offset back where it was.
type hdfsReadFile struct {
	*hdfs.FileReader
	h *HDFS
	c *hdfsClient

	mu sync.Mutex // serialises the reader's calls
}

// Read implements [ReadFile].
func (r *hdfsReadFile) Read(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.FileReader.Read(b)
}

// Seek implements [ReadFile].
func (r *hdfsReadFile) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.FileReader.Seek(offset, whence)
}

// ReadAt implements [ReadFile]: it is safe for parallel use and leaves
// the offset of Read as it was.
func (r *hdfsReadFile) ReadAt(b []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.FileReader.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	n, err := r.FileReader.ReadAt(b, off)
	if _, serr := r.FileReader.Seek(cur, io.SeekStart); serr != nil && err == nil {
		err = serr
	}
	return n, err
}

// Size implements [ReadFile].
func (r *hdfsReadFile) Size() int64 { return r.Stat().Size() }

// Close implements [ReadFile].
func (r *hdfsReadFile) Close() error {
	err := r.FileReader.Close()
	r.h.release(r.c, err)
	return err
}

// deadlineDialer returns a dial function whose connections give every
// read and write a deadline of timeout from its start.
func deadlineDialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: timeout}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &deadlineConn{Conn: conn, timeout: timeout}, nil
	}
}

// deadlineConn is a net.Conn whose reads and writes each time out. A
// connection that timed out is closed: the client cannot resume a
// protocol exchange cut in the middle.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

// Read implements net.Conn.
func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	c.closeOnTimeout(err)
	return n, err
}

// Write implements net.Conn.
func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(p)
	c.closeOnTimeout(err)
	return n, err
}

// SetDeadline ignores the client's own deadlines, which are zero unless
// it is asked for them; every read and write sets its own.
func (c *deadlineConn) SetDeadline(time.Time) error { return nil }

// closeOnTimeout closes the connection after a timeout.
func (c *deadlineConn) closeOnTimeout(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		_ = c.Conn.Close()
	}
}

// dataNodeDialer returns the dial function of DataNode connections: a
// deadlineDialer's connections, wrapped in dataNodeConn.
func dataNodeDialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := deadlineDialer(timeout)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &dataNodeConn{Conn: conn}, nil
	}
}

// dataNodeConn is a connection to a DataNode that reports a failed write
// on its reads: the first write that fails closes the connection, it and
// every later write claim success, and every later read returns the
// write's error.
//
// This keeps the HDFS client (colinmarc/hdfs/v2 v2.4.0) from leaking a
// goroutine per failed block write. Its block write stream acknowledges
// packets in a goroutine that, once a read of an acknowledgement fails
// (the DataNode died, or dropped the connection), drains the stream's
// channel of packet numbers until it is closed, and only finishing the
// block closes it, after writing the block's last packet. A write that
// fails makes the stream return before that point, from the Write that
// met it and again from the finish that Close runs (or finish fails
// first, at a block boundary or in Close, and marks the stream closed),
// so nothing closes the channel and the goroutine waits forever, holding
// the stream and its buffers. Closing the connection does not end it.
// With writes that cannot fail, finish always writes the last packet and
// closes the channel; the goroutine then ends, and finish returns the
// acknowledgement error the closed connection causes: the write's error.
// A block whose write failed can never complete, since the DataNode
// never sees its last packet, so nothing that failed is reported as
// written; the error is reported when the block is finished (at the
// block's end, or when the file is closed) instead of by the Write that
// met it.
type dataNodeConn struct {
	net.Conn
	mu  sync.Mutex
	err error // the first write error
}

// Write implements net.Conn.
func (c *dataNodeConn) Write(p []byte) (int, error) {
	if c.failed() != nil {
		return len(p), nil
	}
	if _, err := c.Conn.Write(p); err != nil {
		c.mu.Lock()
		if c.err == nil {
			c.err = fmt.Errorf("write to datanode: %w", err)
		}
		c.mu.Unlock()
		_ = c.Conn.Close() // the write's error is what reads report
	}
	return len(p), nil
}

// Read implements net.Conn. A read that fails because a write failed,
// and closed the connection beneath it, reports the write's error.
func (c *dataNodeConn) Read(p []byte) (int, error) {
	if err := c.failed(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if err != nil {
		if werr := c.failed(); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// failed returns the first write error, or nil.
func (c *dataNodeConn) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
