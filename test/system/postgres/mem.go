package postgres

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// treePss returns the proportional set size of process pid and of its
// children, in bytes: PostgreSQL's backends and helpers are all children
// of the postmaster. Processes /proc does not tell about count as 0.
func treePss(pid int) int64 {
	total := pss(pid)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return total
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		if parentOf(child) == pid {
			total += pss(child)
		}
	}
	return total
}

// pss returns the Pss line of /proc/PID/smaps_rollup in bytes, or 0.
func pss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	return kBField(b, "Pss:")
}

// parentOf returns the parent of process pid, or 0.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return int(fieldValue(b, "PPid:"))
}

// kBField returns the value of the "NAME: N kB" line of a /proc file in
// bytes, or 0.
func kBField(b []byte, name string) int64 {
	return fieldValue(b, name) << 10
}

// fieldValue returns the number on the line of a /proc file that starts
// with name, or 0.
func fieldValue(b []byte, name string) int64 {
	for _, line := range bytes.Split(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		rest = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))
		n, err := strconv.ParseInt(string(rest), 10, 64)
		if err != nil {
			return 0
		}
		return n
	}
	return 0
}
