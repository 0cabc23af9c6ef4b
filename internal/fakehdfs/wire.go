package fakehdfs

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	// The client registers the generated Hadoop message types that the
	// cluster looks up by name.
	_ "github.com/colinmarc/hdfs/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Full-name prefixes of the Hadoop protobuf packages.
const (
	hdfsPkg   = "hadoop.hdfs."
	commonPkg = "hadoop.common."
)

// newMessage returns an empty message of the registered type name.
func newMessage(name string) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("message type %s: %w", name, err)
	}
	return mt.New().Interface(), nil
}

// unmarshal decodes the protobuf encoding b of message type name into v, a
// Go value shaped like the message's JSON mapping.
func unmarshal(name string, b []byte, v any) error {
	m, err := newMessage(name)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	js, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	if err := json.Unmarshal(js, v); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	return nil
}

// marshal encodes v, a Go value shaped like the JSON mapping of message
// type name, as that message's protobuf encoding.
func marshal(name string, v any) ([]byte, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}
	m, err := newMessage(name)
	if err != nil {
		return nil, err
	}
	if err := protojson.Unmarshal(js, m); err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return b, nil
}

// delimited encodes v as message type name prefixed by its varint length.
func delimited(name string, v any) ([]byte, error) {
	b, err := marshal(name, v)
	if err != nil {
		return nil, err
	}
	return append(binary.AppendUvarint(nil, uint64(len(b))), b...), nil
}

// readDelimited reads one varint-length-prefixed message of type name.
func readDelimited(r *bufio.Reader, name string, v any) error {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	if n > 1<<20 {
		return fmt.Errorf("read %s: message of %d bytes", name, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return unmarshal(name, b, v)
}

// splitDelimited consumes one varint-length-prefixed message from b.
func splitDelimited(b []byte) (msg, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, io.ErrUnexpectedEOF
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// num is a 64-bit integer in a message's JSON mapping, which writes them
// as strings.
type num int64

// UnmarshalJSON accepts a number or a quoted number.
func (u *num) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %s: %w", b, err)
	}
	*u = num(n)
	return nil
}
