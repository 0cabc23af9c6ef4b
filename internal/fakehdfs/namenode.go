package fakehdfs

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path"
	"slices"
	"strings"
	"time"
)

// Java exception classes the client maps to os errors, and the others the
// NameNode raises.
const (
	exNotFound     = "java.io.FileNotFoundException"
	exExists       = "org.apache.hadoop.fs.FileAlreadyExistsException"
	exBeingCreated = "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException"
	exParentNotDir = "org.apache.hadoop.fs.ParentNotDirectoryException"
	exNotEmpty     = "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"
	exLease        = "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException"
	exIO           = "java.io.IOException"
	exNoMethod     = "org.apache.hadoop.ipc.RpcNoSuchMethodException"
	exPermission   = "org.apache.hadoop.security.AccessControlException"
)

// superuser is the user the cluster runs as, who owns the root and may
// change any owner.
const superuser = "hdfs"

// Protocol constants.
const (
	rpcVersion      = 9
	handshakeCallID = -3
	poolID          = "BP-fakehdfs"
	listingPage     = 1000
)

// node is an inode: a directory or a file.
type node struct {
	dir         bool
	perm        uint32
	owner       string
	group       string
	mtime       time.Time
	id          uint64
	blocks      []uint64 // block ids, in file order
	lease       string   // client writing the file; "" once complete
	replication int64
	blockSize   int64
}

// remoteErr is an exception the NameNode answers a call with.
type remoteErr struct {
	class string
	msg   string
}

// Error implements error.
func (e *remoteErr) Error() string { return e.class + ": " + e.msg }

// fail returns a remoteErr of class for the path p.
func fail(class, p, format string, args ...any) *remoteErr {
	return &remoteErr{class: class, msg: p + ": " + fmt.Sprintf(format, args...)}
}

// extBlock is an ExtendedBlockProto.
type extBlock struct {
	BlockID  num `json:"blockId"`
	NumBytes num `json:"numBytes"`
}

// request is the union of the ClientProtocol requests the NameNode serves,
// in their JSON mapping.
type request struct {
	Src           string             `json:"src"`
	Dst           string             `json:"dst"`
	ClientName    string             `json:"clientName"`
	CreateFlag    num                `json:"createFlag"`
	CreateParent  bool               `json:"createParent"`
	Replication   num                `json:"replication"`
	BlockSize     num                `json:"blockSize"`
	Masked        struct{ Perm num } `json:"masked"`
	FileID        num                `json:"fileId"`
	OverwriteDest bool               `json:"overwriteDest"`
	Recursive     bool               `json:"recursive"`
	StartAfter    []byte             `json:"startAfter"`
	Block         *extBlock          `json:"block"`
	Last          *extBlock          `json:"last"`
	Username      *string            `json:"username"`
	Groupname     *string            `json:"groupname"`
	Permission    struct{ Perm num } `json:"permission"`
}

// Create flags (CreateFlag in Hadoop).
const (
	flagOverwrite = 2
	flagAppend    = 4
)

// serveNameNode serves one client connection.
func (c *Cluster) serveNameNode(conn net.Conn) {
	r := bufio.NewReader(conn)
	var hello [7]byte
	if _, err := io.ReadFull(r, hello[:]); err != nil {
		return
	}
	if string(hello[:4]) != "hrpc" || hello[4] != rpcVersion || hello[6] != 0 {
		return // only SIMPLE authentication
	}
	user := superuser
	for {
		var size uint32
		if err := binary.Read(r, binary.BigEndian, &size); err != nil {
			return
		}
		if size > 64<<20 {
			return
		}
		frame := make([]byte, size)
		if _, err := io.ReadFull(r, frame); err != nil {
			return
		}
		var rpcHeader struct {
			CallID   int64  `json:"callId"`
			ClientID []byte `json:"clientId"`
		}
		b, rest, err := splitDelimited(frame)
		if err != nil || unmarshal(commonPkg+"RpcRequestHeaderProto", b, &rpcHeader) != nil {
			return
		}
		if rpcHeader.CallID == handshakeCallID {
			var cc struct {
				UserInfo struct {
					EffectiveUser string `json:"effectiveUser"`
				} `json:"userInfo"`
			}
			if b, _, err := splitDelimited(rest); err == nil && unmarshal(commonPkg+"IpcConnectionContextProto", b, &cc) == nil && cc.UserInfo.EffectiveUser != "" {
				user = cc.UserInfo.EffectiveUser
			}
			continue
		}
		var reqHeader struct {
			MethodName string `json:"methodName"`
		}
		b, rest, err = splitDelimited(rest)
		if err != nil || unmarshal(commonPkg+"RequestHeaderProto", b, &reqHeader) != nil {
			return
		}
		body, _, err := splitDelimited(rest)
		if err != nil {
			return
		}
		out, ok := c.call(reqHeader.MethodName, user, body, rpcHeader.CallID, rpcHeader.ClientID)
		if !ok {
			continue // hung: never answer
		}
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}

// call executes one call and returns the response frame, or false when the
// NameNode is hung.
func (c *Cluster) call(method, user string, body []byte, callID int64, clientID []byte) ([]byte, bool) {
	c.mu.Lock()
	if c.nnHung {
		c.mu.Unlock()
		return nil, false
	}
	c.calls[method]++
	var respType string
	var resp any
	rerr := (*remoteErr)(nil)
	var req request
	if err := unmarshal(hdfsPkg+methodRequest(method), body, &req); err != nil {
		rerr = &remoteErr{class: exNoMethod, msg: err.Error()}
	} else if c.failCalls[method] > 0 {
		c.failCalls[method]--
		c.injected++
		rerr = &remoteErr{class: exIO, msg: method + ": injected failure"}
	} else {
		respType, resp, rerr = c.dispatch(method, user, &req)
	}
	c.mu.Unlock()

	header := map[string]any{
		"callId":              callID,
		"status":              "SUCCESS",
		"serverIpcVersionNum": rpcVersion,
		"clientId":            clientID,
	}
	var frame []byte
	if rerr != nil {
		header["status"] = "ERROR"
		header["exceptionClassName"] = rerr.class
		header["errorMsg"] = rerr.Error()
		header["errorDetail"] = "ERROR_APPLICATION"
	}
	h, err := delimited(commonPkg+"RpcResponseHeaderProto", header)
	if err != nil {
		panic(err) // a bug in this package
	}
	frame = h
	if rerr == nil {
		b, err := delimited(hdfsPkg+respType, resp)
		if err != nil {
			panic(err)
		}
		frame = append(frame, b...)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(frame))), frame...), true
}

// methodRequest names the request message of a ClientProtocol method.
func methodRequest(method string) string {
	if method == "" {
		return ""
	}
	return strings.ToUpper(method[:1]) + method[1:] + "RequestProto"
}

// dispatch runs method with c.mu held and returns the response message type
// and value.
func (c *Cluster) dispatch(method, user string, req *request) (string, any, *remoteErr) {
	resp := strings.ToUpper(method[:1]) + method[1:] + "ResponseProto"
	src := path.Clean("/" + req.Src)
	switch method {
	case "getFileInfo":
		n := c.nodes[src]
		if n == nil {
			return resp, map[string]any{}, nil
		}
		return resp, map[string]any{"fs": c.status(n, "")}, nil
	case "getServerDefaults":
		return resp, map[string]any{"serverDefaults": map[string]any{
			"blockSize": c.cfg.BlockSize, "bytesPerChecksum": chunkSize, "writePacketSize": 65536,
			"replication": c.cfg.Replication, "fileBufferSize": 4096, "encryptDataTransfer": false,
			"checksumType": "CHECKSUM_CRC32C",
		}}, nil
	case "mkdirs":
		if err := c.mkdirs(src, user, uint32(req.Masked.Perm), req.CreateParent); err != nil {
			return "", nil, err
		}
		return resp, map[string]any{"result": true}, nil
	case "create":
		n, err := c.create(src, user, req)
		if err != nil {
			return "", nil, err
		}
		return resp, map[string]any{"fs": c.status(n, "")}, nil
	case "addBlock":
		n, err := c.leased(src, req)
		if err != nil {
			return "", nil, err
		}
		offset := c.size(n)
		c.nextID++
		n.blocks = append(n.blocks, c.nextID)
		return resp, map[string]any{"block": c.located(c.nextID, 0, offset)}, nil
	case "updateBlockForPipeline":
		if req.Block == nil {
			return "", nil, fail(exIO, src, "no block")
		}
		return resp, map[string]any{"block": c.located(uint64(req.Block.BlockID), int64(req.Block.NumBytes), 0)}, nil
	case "complete":
		n := c.byID(src, req)
		if n == nil || n.dir {
			return "", nil, fail(exNotFound, src, "no such file")
		}
		if n.lease == "" {
			return resp, map[string]any{"result": true}, nil
		}
		if n.lease != req.ClientName {
			return "", nil, fail(exLease, src, "lease held by %s", n.lease)
		}
		for i, id := range n.blocks {
			if _, ok := c.blocks[id]; ok {
				continue
			}
			// A last block the client opened but wrote nothing to holds no
			// data; anything else is not stored yet.
			if i == len(n.blocks)-1 && req.Last != nil && uint64(req.Last.BlockID) == id && req.Last.NumBytes == 0 {
				n.blocks = n.blocks[:i]
				break
			}
			return resp, map[string]any{"result": false}, nil
		}
		if c.replicate > 0 {
			c.replicate--
			c.injected++
			return resp, map[string]any{"result": false}, nil
		}
		n.lease = ""
		n.mtime = time.Now()
		return resp, map[string]any{"result": true}, nil
	case "rename2":
		if err := c.rename(src, path.Clean("/"+req.Dst), req.OverwriteDest); err != nil {
			return "", nil, err
		}
		return resp, map[string]any{}, nil
	case "getListing":
		return resp, c.listing(src, string(req.StartAfter)), nil
	case "getBlockLocations":
		n := c.nodes[src]
		if n == nil || n.dir {
			return "", nil, fail(exNotFound, src, "no such file")
		}
		return resp, map[string]any{"locations": c.locations(n)}, nil
	case "delete":
		ok, err := c.delete(src, req.Recursive)
		if err != nil {
			return "", nil, err
		}
		return resp, map[string]any{"result": ok}, nil
	case "renewLease":
		return resp, map[string]any{}, nil
	case "setOwner":
		n := c.nodes[src]
		if n == nil {
			return "", nil, fail(exNotFound, src, "no such file or directory")
		}
		// As the NameNode: only the owner or the superuser may call it, and
		// a user name that is present (even empty) is a change of owner,
		// which only the superuser may make. Group membership is not
		// checked: the cluster knows no groups.
		if user != superuser {
			if n.owner != user {
				return "", nil, fail(exPermission, src, "permission denied: user=%s is not the owner", user)
			}
			if req.Username != nil && *req.Username != user {
				return "", nil, fail(exPermission, src, "user %s is not a super user (non-super user cannot change owner)", user)
			}
		}
		if req.Username != nil {
			n.owner = *req.Username
		}
		if req.Groupname != nil {
			n.group = *req.Groupname
		}
		return resp, map[string]any{}, nil
	case "setPermission":
		n := c.nodes[src]
		if n == nil {
			return "", nil, fail(exNotFound, src, "no such file or directory")
		}
		n.perm = uint32(req.Permission.Perm) & 0o7777
		return resp, map[string]any{}, nil
	default:
		return "", nil, &remoteErr{class: exNoMethod, msg: "unknown method " + method}
	}
}

// parentDir checks that every ancestor of p that exists is a directory and
// returns p's parent, or nil when it does not exist.
func (c *Cluster) parentDir(p string) (*node, *remoteErr) {
	for a := path.Dir(p); ; a = path.Dir(a) {
		if n := c.nodes[a]; n != nil && !n.dir {
			return nil, fail(exParentNotDir, p, "%s is not a directory", a)
		}
		if a == "/" {
			break
		}
	}
	return c.nodes[path.Dir(p)], nil
}

// mkdirs creates directory p, and its missing parents when parents is set.
func (c *Cluster) mkdirs(p, user string, perm uint32, parents bool) *remoteErr {
	if n := c.nodes[p]; n != nil {
		if n.dir {
			return nil
		}
		return fail(exExists, p, "is a file")
	}
	parent, err := c.parentDir(p)
	if err != nil {
		return err
	}
	if parent == nil {
		if !parents {
			return fail(exNotFound, p, "parent does not exist")
		}
		if err := c.mkdirs(path.Dir(p), user, perm, true); err != nil {
			return err
		}
	}
	c.nextID++
	c.nodes[p] = &node{dir: true, perm: perm & 0o7777, owner: user, group: c.groupOf(path.Dir(p)), mtime: time.Now(), id: c.nextID}
	return nil
}

// groupOf returns the group a new entry in directory dir gets: dir's own,
// as HDFS does.
func (c *Cluster) groupOf(dir string) string {
	if n := c.nodes[dir]; n != nil && n.group != "" {
		return n.group
	}
	return "supergroup"
}

// create creates file p for writing, leased to the calling client.
func (c *Cluster) create(p, user string, req *request) (*node, *remoteErr) {
	if req.CreateFlag&flagAppend != 0 {
		return nil, fail(exIO, p, "append is not supported")
	}
	if req.BlockSize <= 0 || req.BlockSize%chunkSize != 0 {
		return nil, fail(exIO, p, "block size %d is not a positive multiple of %d", req.BlockSize, chunkSize)
	}
	parent, err := c.parentDir(p)
	if err != nil {
		return nil, err
	}
	if parent == nil {
		if !req.CreateParent {
			return nil, fail(exNotFound, p, "parent does not exist")
		}
		if err := c.mkdirs(path.Dir(p), user, 0o755, true); err != nil {
			return nil, err
		}
	}
	if old := c.nodes[p]; old != nil {
		switch {
		case old.dir:
			return nil, fail(exExists, p, "is a directory")
		case old.lease != "":
			return nil, fail(exBeingCreated, p, "being written by %s", old.lease)
		case req.CreateFlag&flagOverwrite == 0:
			return nil, fail(exExists, p, "already exists")
		}
		c.dropBlocks(old)
	}
	c.nextID++
	n := &node{
		perm: uint32(req.Masked.Perm) & 0o7777, owner: user, group: c.groupOf(path.Dir(p)), mtime: time.Now(),
		id: c.nextID, lease: req.ClientName, replication: int64(req.Replication), blockSize: int64(req.BlockSize),
	}
	c.nodes[p] = n
	return n, nil
}

// byID finds the file a write call names: by file id when it has one (the
// file may have been renamed while open), else by path.
func (c *Cluster) byID(p string, req *request) *node {
	if req.FileID != 0 {
		for _, n := range c.nodes {
			if n.id == uint64(req.FileID) {
				return n
			}
		}
		return nil
	}
	return c.nodes[p]
}

// leased returns the open file a write call names, checking the lease.
func (c *Cluster) leased(p string, req *request) (*node, *remoteErr) {
	n := c.byID(p, req)
	if n == nil || n.dir {
		return nil, fail(exNotFound, p, "no such file")
	}
	if n.lease != req.ClientName {
		return nil, fail(exLease, p, "no lease for %s", req.ClientName)
	}
	return n, nil
}

// rename moves src to dst, replacing a file or an empty directory at dst
// when overwrite is set.
func (c *Cluster) rename(src, dst string, overwrite bool) *remoteErr {
	n := c.nodes[src]
	if n == nil {
		return fail(exNotFound, src, "does not exist")
	}
	if src == "/" || dst == "/" {
		return fail(exIO, src, "cannot rename the root")
	}
	if dst == src {
		return nil
	}
	if strings.HasPrefix(dst, src+"/") {
		return fail(exIO, src, "cannot move into itself (%s)", dst)
	}
	parent, err := c.parentDir(dst)
	if err != nil {
		return err
	}
	if parent == nil {
		return fail(exNotFound, dst, "parent does not exist")
	}
	if old := c.nodes[dst]; old != nil {
		switch {
		case !overwrite:
			return fail(exExists, dst, "already exists")
		case old.dir != n.dir:
			return fail(exIO, dst, "cannot replace a file with a directory or the reverse")
		case old.dir && len(c.children(dst)) > 0:
			return fail(exIO, dst, "directory is not empty")
		}
		// A file still being written is replaced as any other: its
		// writer's next call fails, as on the NameNode.
		c.dropBlocks(old)
		delete(c.nodes, dst)
	}
	for p, m := range c.nodes {
		if p == src || strings.HasPrefix(p, src+"/") {
			delete(c.nodes, p)
			c.nodes[dst+strings.TrimPrefix(p, src)] = m
		}
	}
	now := time.Now()
	c.nodes[path.Dir(src)].mtime = now
	parent.mtime = now
	return nil
}

// delete removes p, with everything under it when recursive is set. It
// reports false when p does not exist.
func (c *Cluster) delete(p string, recursive bool) (bool, *remoteErr) {
	if p == "/" {
		return false, fail(exIO, p, "cannot delete the root")
	}
	if c.nodes[p] == nil {
		return false, nil
	}
	if !recursive && len(c.children(p)) > 0 {
		return false, fail(exNotEmpty, p, "directory is not empty")
	}
	for q, m := range c.nodes {
		if q == p || strings.HasPrefix(q, p+"/") {
			c.dropBlocks(m)
			delete(c.nodes, q)
		}
	}
	c.nodes[path.Dir(p)].mtime = time.Now()
	return true, nil
}

// dropBlocks frees the blocks of a file.
func (c *Cluster) dropBlocks(n *node) {
	for _, id := range n.blocks {
		delete(c.blocks, id)
	}
	n.blocks = nil
}

// children returns the sorted names in directory p.
func (c *Cluster) children(p string) []string {
	prefix := strings.TrimSuffix(p, "/") + "/"
	var names []string
	for q := range c.nodes {
		if q != "/" && strings.HasPrefix(q, prefix) && !strings.Contains(q[len(prefix):], "/") {
			names = append(names, q[len(prefix):])
		}
	}
	slices.Sort(names)
	return names
}

// listing answers getListing: one page of p's entries after startAfter.
func (c *Cluster) listing(p, startAfter string) map[string]any {
	n := c.nodes[p]
	if n == nil {
		return map[string]any{}
	}
	if !n.dir {
		return map[string]any{"dirList": map[string]any{"partialListing": []any{c.status(n, "")}, "remainingEntries": 0}}
	}
	var page []any
	remaining := 0
	prefix := strings.TrimSuffix(p, "/") + "/"
	for _, name := range c.children(p) {
		if name <= startAfter {
			continue
		}
		if len(page) == listingPage {
			remaining++
			continue
		}
		page = append(page, c.status(c.nodes[prefix+name], name))
	}
	if page == nil {
		page = []any{}
	}
	return map[string]any{"dirList": map[string]any{"partialListing": page, "remainingEntries": remaining}}
}

// size returns the bytes stored in a file's blocks.
func (c *Cluster) size(n *node) int64 {
	var s int64
	for _, id := range n.blocks {
		s += int64(len(c.blocks[id]))
	}
	return s
}

// status returns the HdfsFileStatusProto of n, whose local name is name.
func (c *Cluster) status(n *node, name string) map[string]any {
	st := map[string]any{
		"fileType":         "IS_FILE",
		"path":             []byte(name),
		"length":           c.size(n),
		"permission":       map[string]any{"perm": n.perm},
		"owner":            n.owner,
		"group":            n.group,
		"modificationTime": n.mtime.UnixMilli(),
		"accessTime":       n.mtime.UnixMilli(),
		"fileId":           n.id,
		"blockReplication": n.replication,
		"blocksize":        n.blockSize,
	}
	if n.dir {
		st["fileType"] = "IS_DIR"
		st["length"] = 0
	}
	return st
}

// located returns the LocatedBlockProto of a block on the DataNode.
func (c *Cluster) located(id uint64, size, offset int64) map[string]any {
	return map[string]any{
		"b":       map[string]any{"poolId": poolID, "blockId": id, "generationStamp": 1, "numBytes": size},
		"offset":  offset,
		"corrupt": false,
		"locs": []any{map[string]any{"id": map[string]any{
			"ipAddr": "127.0.0.1", "hostName": "localhost", "datanodeUuid": "fakehdfs-datanode",
			"xferPort": c.dnPort(), "infoPort": 0, "ipcPort": 0,
		}}},
		"blockToken": map[string]any{"identifier": "", "password": "", "kind": "", "service": ""},
	}
}

// locations returns the LocatedBlocksProto of a file's stored blocks.
func (c *Cluster) locations(n *node) map[string]any {
	blocks := []any{}
	var off int64
	for _, id := range n.blocks {
		data, ok := c.blocks[id]
		if !ok {
			continue
		}
		blocks = append(blocks, c.located(id, int64(len(data)), off))
		off += int64(len(data))
	}
	return map[string]any{
		"fileLength":          off,
		"blocks":              blocks,
		"underConstruction":   n.lease != "",
		"isLastBlockComplete": n.lease == "",
	}
}
