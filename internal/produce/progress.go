package produce

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// barInterval is how often the progress bar is redrawn.
const barInterval = 100 * time.Millisecond

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startBar redraws a progress line on w until the returned function is
// called; that function clears the line and returns once drawing stopped.
func startBar(w io.Writer, st *stats, size int64, start time.Time) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(barInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				// Writes to the terminal are best effort.
				_, _ = io.WriteString(w, "\r\x1b[K")
				return
			case now := <-t.C:
				_, _ = io.WriteString(w, "\r"+barLine(st.records.Load(), st.bytes.Load(), st.read.Load(), size, now.Sub(start))+"\x1b[K")
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// barLine renders one progress line.
func barLine(records, bytes, read, size int64, elapsed time.Duration) string {
	const width = 30
	var b strings.Builder
	if size > 0 {
		frac := min(float64(read)/float64(size), 1)
		filled := int(frac * width)
		fmt.Fprintf(&b, "[%s%s] %3.0f%% ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), frac*100)
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(records) / s
	}
	fmt.Fprintf(&b, "%d records  %.1f MB  %.0f records/s", records, float64(bytes)/1e6, rate)
	return b.String()
}
