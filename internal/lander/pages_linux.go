package lander

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ReleaseStartupPages drops from the process's resident set the pages of
// its own executable's read-only mappings (code and constant data), and
// returns how many bytes those mappings span. Start-up touches pages that
// are not needed again — the package initializers of the linked
// libraries, iceberg-go's parse of its embedded function catalog among
// them — and they would count in the RSS for the life of the process. The
// pages stay in the page cache; those still in use come back on the next
// touch as minor faults. Writable mappings are left alone: dropping them
// would lose their contents.
func ReleaseStartupPages() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("release start-up pages: %w", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("release start-up pages: %w", err)
	}
	var spanned int64
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		start, end, ok := readOnlyMapping(sc.Text(), exe)
		if !ok {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_DONTNEED); errno != 0 {
			return spanned, fmt.Errorf("release start-up pages: madvise: %w", errno)
		}
		spanned += int64(end - start)
	}
	return spanned, nil
}

// readOnlyMapping parses a line of /proc/self/maps and returns its address
// range when it maps file exe privately without write permission.
func readOnlyMapping(line, exe string) (start, end uintptr, ok bool) {
	// The path is the rest of the line after five fields, and may hold
	// spaces; a deleted file's ends in " (deleted)" and is skipped.
	f := strings.Fields(line)
	if len(f) < 6 || !strings.HasSuffix(line, " "+exe) {
		return 0, 0, false
	}
	if perms := f[1]; len(perms) != 4 || perms[1] == 'w' || perms[3] != 'p' {
		return 0, 0, false
	}
	lo, hi, found := strings.Cut(f[0], "-")
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(lo, 16, 64)
	e, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}
