package sink

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// RenameNoReplaceFS moves a file only when its target does not exist: the
// primitive of a commit that must never replace what another writer
// published (an Iceberg filesystem catalog's vN.metadata.json). Its paths
// and errors follow the contract of [FS].
type RenameNoReplaceFS interface {
	// RenameNoReplace atomically moves from to to, failing with
	// fs.ErrExist, and changing nothing, when to exists. The check and the
	// move are one step: of several concurrent calls with the same to,
	// at most one succeeds.
	RenameNoReplace(from, to string) error
}

// ErrNoReplaceUnsupported is the error of RenameNoReplace on a lake where
// landerd cannot send the NameNode a rename without OVERWRITE: a
// Kerberized one (the call needs its own SASL handshake, not implemented).
var ErrNoReplaceUnsupported = fmt.Errorf("%w: rename without overwrite on a Kerberized HDFS", errors.ErrUnsupported)

// RenameNoReplace implements [RenameNoReplaceFS] with the NameNode's
// rename2 without the OVERWRITE option, which checks that the target is
// absent and moves the file under the namesystem's write lock, so the two
// cannot be separated (Hadoop's FSDirRenameOp; Hadoop's own filesystem
// catalog relies on the same guarantee through FileSystem.rename).
//
// github.com/colinmarc/hdfs/v2 cannot send it: its Client.Rename always
// sets OverwriteDest, and its RPC connection is unexported and in an
// internal package. So RenameNoReplace opens a connection of its own to
// the NameNode, speaks Hadoop RPC (protocol version 9, simple
// authentication as HDFSOptions.User) for this one call, and closes it;
// the messages are the client's registered protobuf types, found by
// name. The whole exchange is bounded by CallTimeout. With Kerberos it
// fails with ErrNoReplaceUnsupported.
func (h *HDFS) RenameNoReplace(from, to string) error {
	if err := checkPath("rename", from); err != nil {
		return err
	}
	if err := checkPath("rename", to); err != nil {
		return err
	}
	if h.opts.KerberosClient != nil {
		return &fs.PathError{Op: "rename", Path: from, Err: ErrNoReplaceUnsupported}
	}
	if err := h.rename2(h.full(from), h.full(to)); err != nil {
		return &fs.PathError{Op: "rename", Path: from, Err: err}
	}
	return nil
}

// Hadoop RPC constants (org.apache.hadoop.ipc.Server, ClientProtocol).
const (
	rpcClientProtocol = "org.apache.hadoop.hdfs.protocol.ClientProtocol"
	rpcHandshakeCall  = -3
)

// rename2 sends one rename2 call without OVERWRITE on a new connection.
func (h *HDFS) rename2(src, dst string) error {
	conn, err := net.DialTimeout("tcp", h.addr, h.timeout)
	if err != nil {
		return fmt.Errorf("connect %s: %w", h.addr, err)
	}
	defer conn.Close() // the answer is read; nothing more to report
	if err := conn.SetDeadline(time.Now().Add(h.timeout)); err != nil {
		return err
	}
	clientID := make([]byte, 16)
	if _, err := rand.Read(clientID); err != nil {
		return err
	}
	header := func(call int32) map[string]any {
		return map[string]any{"rpcKind": "RPC_PROTOCOL_BUFFER", "rpcOp": "RPC_FINAL_PACKET", "callId": call, "clientId": clientID}
	}
	hello, err := rpcPacket(
		rpcMsg{"hadoop.common.RpcRequestHeaderProto", header(rpcHandshakeCall)},
		rpcMsg{"hadoop.common.IpcConnectionContextProto", map[string]any{
			"userInfo": map[string]any{"effectiveUser": h.opts.User},
			"protocol": rpcClientProtocol,
		}},
	)
	if err != nil {
		return err
	}
	call, err := rpcPacket(
		rpcMsg{"hadoop.common.RpcRequestHeaderProto", header(0)},
		rpcMsg{"hadoop.common.RequestHeaderProto", map[string]any{
			"methodName": "rename2", "declaringClassProtocolName": rpcClientProtocol, "clientProtocolVersion": 1,
		}},
		rpcMsg{"hadoop.hdfs.Rename2RequestProto", map[string]any{"src": src, "dst": dst, "overwriteDest": false}},
	)
	if err != nil {
		return err
	}
	out := append([]byte{'h', 'r', 'p', 'c', 9, 0, 0}, hello...)
	if _, err := conn.Write(append(out, call...)); err != nil {
		return fmt.Errorf("rename2: %w", err)
	}
	return readRename2(bufio.NewReader(conn))
}

// readRename2 reads the answer to call 0 and maps a remote exception to
// the error the FS contract names.
func readRename2(r io.Reader) error {
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return fmt.Errorf("rename2: read answer: %w", err)
	}
	if n > 1<<20 {
		return fmt.Errorf("rename2: answer of %d bytes", n)
	}
	packet := make([]byte, n)
	if _, err := io.ReadFull(r, packet); err != nil {
		return fmt.Errorf("rename2: read answer: %w", err)
	}
	size, k := binary.Uvarint(packet)
	if k <= 0 || size > uint64(len(packet)-k) {
		return errors.New("rename2: malformed answer")
	}
	var head struct {
		CallID    uint32 `json:"callId"`
		Status    string `json:"status"`
		Exception string `json:"exceptionClassName"`
		Message   string `json:"errorMsg"`
	}
	if err := rpcDecode("hadoop.common.RpcResponseHeaderProto", packet[k:k+int(size)], &head); err != nil {
		return err
	}
	if head.CallID != 0 {
		return fmt.Errorf("rename2: answer to call %d", head.CallID)
	}
	if head.Status == "SUCCESS" {
		return nil
	}
	remote := &rpcError{exception: head.Exception, message: head.Message}
	switch head.Exception {
	case "org.apache.hadoop.fs.FileAlreadyExistsException":
		return fmt.Errorf("%w (%w)", fs.ErrExist, remote)
	case "java.io.FileNotFoundException":
		return fmt.Errorf("%w (%w)", fs.ErrNotExist, remote)
	case "org.apache.hadoop.security.AccessControlException":
		return fmt.Errorf("%w (%w)", fs.ErrPermission, remote)
	}
	return remote
}

// rpcError is an exception the NameNode answered with.
type rpcError struct{ exception, message string }

func (e *rpcError) Error() string { return e.exception + ": " + firstLine(e.message) }

// firstLine cuts a Java stack trace to its message.
func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// rpcMsg is a Hadoop protobuf message by type name, with its fields as in
// the message's JSON mapping.
type rpcMsg struct {
	name   string
	fields map[string]any
}

// rpcPacket frames msgs as one Hadoop RPC packet: a big-endian length,
// then each message prefixed by its varint length.
func rpcPacket(msgs ...rpcMsg) ([]byte, error) {
	body := []byte{}
	for _, m := range msgs {
		b, err := rpcEncode(m.name, m.fields)
		if err != nil {
			return nil, err
		}
		body = binary.AppendUvarint(body, uint64(len(b)))
		body = append(body, b...)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...), nil
}

// rpcType returns the registered message type name; the HDFS client
// registers the Hadoop protocol's types.
func rpcType(name string) (protoreflect.MessageType, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("rpc message %s: %w", name, err)
	}
	return mt, nil
}

func rpcEncode(name string, fields map[string]any) ([]byte, error) {
	mt, err := rpcType(name)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}
	m := mt.New().Interface()
	if err := protojson.Unmarshal(js, m); err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return proto.Marshal(m)
}

func rpcDecode(name string, b []byte, v any) error {
	mt, err := rpcType(name)
	if err != nil {
		return err
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	js, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	return json.Unmarshal(js, v)
}
