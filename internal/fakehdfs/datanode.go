package fakehdfs

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net"
)

// Data transfer protocol constants.
const (
	transferVersion = 28
	opWriteBlock    = 0x50
	opReadBlock     = 0x51
	chunkSize       = 512
	packetData      = 64 << 10 // data bytes per packet sent
	heartbeatSeqno  = -1
)

// castagnoli is the CRC32C table of the block checksums.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// blockOp is the header of OpWriteBlockProto and OpReadBlockProto.
type blockOp struct {
	Header struct {
		BaseHeader struct {
			Block extBlock `json:"block"`
		} `json:"baseHeader"`
	} `json:"header"`
	RequestedChecksum struct {
		Type             string `json:"type"`
		BytesPerChecksum num    `json:"bytesPerChecksum"`
	} `json:"requestedChecksum"`
	Offset num `json:"offset"`
	Len    num `json:"len"`
}

// packetHeader is a PacketHeaderProto.
type packetHeader struct {
	OffsetInBlock     num  `json:"offsetInBlock"`
	Seqno             num  `json:"seqno"`
	LastPacketInBlock bool `json:"lastPacketInBlock"`
	DataLen           num  `json:"dataLen"`
}

// serveDataNode serves one block operation.
func (c *Cluster) serveDataNode(conn net.Conn) {
	r := bufio.NewReader(conn)
	var head [3]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return
	}
	if binary.BigEndian.Uint16(head[:2]) != transferVersion {
		return
	}
	var op blockOp
	switch head[2] {
	case opWriteBlock:
		if err := readDelimited(r, hdfsPkg+"OpWriteBlockProto", &op); err != nil {
			return
		}
		c.receiveBlock(conn, r, &op)
	case opReadBlock:
		if err := readDelimited(r, hdfsPkg+"OpReadBlockProto", &op); err != nil {
			return
		}
		c.sendBlock(conn, r, &op)
	}
}

// opResponse writes a BlockOpResponseProto. firstBadLink is always set:
// the client cannot read a response shorter than four bytes.
func opResponse(w io.Writer, status, message string, readInfo map[string]any) error {
	resp := map[string]any{"status": status, "firstBadLink": "", "message": message}
	if readInfo != nil {
		resp["readOpChecksumInfo"] = readInfo
	}
	b, err := delimited(hdfsPkg+"BlockOpResponseProto", resp)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ack writes a PipelineAckProto.
func ack(w io.Writer, seqno int64, status string) error {
	b, err := delimited(hdfsPkg+"PipelineAckProto", map[string]any{"seqno": seqno, "reply": []string{status}})
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// receiveBlock receives the packets of a block write, verifies their
// checksums, acknowledges them and stores the block before acknowledging
// the last packet.
func (c *Cluster) receiveBlock(conn net.Conn, r *bufio.Reader, op *blockOp) {
	id := uint64(op.Header.BaseHeader.Block.BlockID)
	if op.RequestedChecksum.Type != "CHECKSUM_CRC32C" || op.RequestedChecksum.BytesPerChecksum != chunkSize {
		_ = opResponse(conn, "ERROR", "only CRC32C checksums over 512-byte chunks are supported", nil)
		return
	}
	failAt := c.claimFault()
	fired := false
	defer func() {
		if !fired {
			c.unclaimFault(failAt)
		}
	}()
	if err := opResponse(conn, "SUCCESS", "", nil); err != nil {
		return
	}
	var data []byte
	for {
		h, body, err := readPacket(r)
		if err != nil {
			return
		}
		if h.Seqno == heartbeatSeqno {
			if err := ack(conn, heartbeatSeqno, "SUCCESS"); err != nil {
				return
			}
			continue
		}
		if err := verifyPacket(h, body, int64(len(data)), c.cfg.BlockSize); err != nil {
			_ = ack(conn, int64(h.Seqno), "ERROR_CHECKSUM")
			return
		}
		data = append(data, body[len(body)-int(h.DataLen):]...)
		if failAt >= 0 && int64(len(data)) > failAt {
			fired = true
			c.mu.Lock()
			c.injected++
			c.mu.Unlock()
			return // the injected DataNode failure
		}
		if h.LastPacketInBlock {
			c.mu.Lock()
			c.blocks[id] = data
			c.mu.Unlock()
		}
		if err := ack(conn, int64(h.Seqno), "SUCCESS"); err != nil || h.LastPacketInBlock {
			return
		}
	}
}

// claimFault takes the armed DataNode fault for a block write starting
// now: the data bytes after which it fails, or -1.
func (c *Cluster) claimFault() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.dnFailAt
	c.dnFailAt = -1
	return n
}

// unclaimFault re-arms a fault that a block write claimed but, being
// short, never reached.
func (c *Cluster) unclaimFault(n int64) {
	if n < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dnFailAt < 0 {
		c.dnFailAt = n
	}
}

// readPacket reads one data packet: its header, then checksums and data.
func readPacket(r *bufio.Reader) (packetHeader, []byte, error) {
	var h packetHeader
	var lens [6]byte
	if _, err := io.ReadFull(r, lens[:]); err != nil {
		return h, nil, err
	}
	size := binary.BigEndian.Uint32(lens[:4])
	hb := make([]byte, binary.BigEndian.Uint16(lens[4:]))
	if _, err := io.ReadFull(r, hb); err != nil {
		return h, nil, err
	}
	if err := unmarshal(hdfsPkg+"PacketHeaderProto", hb, &h); err != nil {
		return h, nil, err
	}
	if size < 4 || size > 16<<20 {
		return h, nil, fmt.Errorf("packet length %d", size)
	}
	body := make([]byte, size-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return h, nil, err
	}
	return h, body, nil
}

// verifyPacket checks a written packet's place in the block and its chunk
// checksums.
func verifyPacket(h packetHeader, body []byte, have, blockSize int64) error {
	n := int(h.DataLen)
	chunks := (n + chunkSize - 1) / chunkSize
	if n < 0 || len(body) != 4*chunks+n {
		return fmt.Errorf("packet of %d bytes holds %d data bytes", len(body), n)
	}
	if int64(h.OffsetInBlock) != have || have+int64(n) > blockSize {
		return fmt.Errorf("packet at offset %d, block holds %d", h.OffsetInBlock, have)
	}
	sums, data := body[:4*chunks], body[4*chunks:]
	for i := range chunks {
		chunk := data[i*chunkSize : min((i+1)*chunkSize, n)]
		if crc32.Checksum(chunk, castagnoli) != binary.BigEndian.Uint32(sums[4*i:]) {
			return fmt.Errorf("chunk %d: checksum mismatch", i)
		}
	}
	return nil
}

// sendBlock answers a block read: it sends the requested range, widened
// down to a chunk boundary, in packets with CRC32C checksums, then an
// empty last packet.
func (c *Cluster) sendBlock(conn net.Conn, r *bufio.Reader, op *blockOp) {
	c.mu.Lock()
	data, ok := c.blocks[uint64(op.Header.BaseHeader.Block.BlockID)]
	c.mu.Unlock()
	off := int64(op.Offset)
	if !ok || off > int64(len(data)) {
		_ = opResponse(conn, "ERROR", "no such block or offset", nil)
		return
	}
	start := off - off%chunkSize
	end := min(off+int64(op.Len), int64(len(data)))
	w := bufio.NewWriterSize(conn, packetData+4096)
	info := map[string]any{
		"checksum":    map[string]any{"type": "CHECKSUM_CRC32C", "bytesPerChecksum": chunkSize},
		"chunkOffset": start,
	}
	if err := opResponse(w, "SUCCESS", "", info); err != nil {
		return
	}
	seqno := int64(0)
	for pos := start; ; seqno++ {
		n := min(end-pos, packetData)
		if n < 0 {
			n = 0
		}
		if err := writePacket(w, seqno, pos, data[pos:pos+n], n == 0); err != nil {
			return
		}
		if n == 0 {
			break
		}
		pos += n
	}
	if err := w.Flush(); err != nil {
		return
	}
	// Drain what the client sends (a read status) until it hangs up, so
	// that closing never resets the connection under unread data.
	_, _ = io.Copy(io.Discard, r)
}

// writePacket writes one read packet.
func writePacket(w io.Writer, seqno, offset int64, data []byte, last bool) error {
	h, err := marshal(hdfsPkg+"PacketHeaderProto", map[string]any{
		"offsetInBlock": offset, "seqno": seqno, "lastPacketInBlock": last, "dataLen": len(data),
	})
	if err != nil {
		return err
	}
	chunks := (len(data) + chunkSize - 1) / chunkSize
	buf := make([]byte, 6, 6+len(h)+4*chunks+len(data))
	binary.BigEndian.PutUint32(buf, uint32(4+4*chunks+len(data)))
	binary.BigEndian.PutUint16(buf[4:], uint16(len(h)))
	buf = append(buf, h...)
	for i := range chunks {
		buf = binary.BigEndian.AppendUint32(buf, crc32.Checksum(data[i*chunkSize:min((i+1)*chunkSize, len(data))], castagnoli))
	}
	buf = append(buf, data...)
	_, err = w.Write(buf)
	return err
}
