package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// stopGrace bounds how long a child may take to exit after SIGTERM before
// it is killed.
const stopGrace = 60 * time.Second

// rssEvery is how often the harness samples a child's peak RSS.
const rssEvery = 10 * time.Millisecond

// usage is what a finished child cost.
type usage struct {
	wall    time.Duration // start to done, not to exit
	cpu     time.Duration // user + system
	peakRSS int64         // bytes, VmHWM of the child's own address space
	// rusageMaxRSS is the child's ru_maxrss in bytes. On Linux it is at
	// least the harness's RSS when the child was started (the child shares
	// the harness's address space until exec, and exec records that
	// address space's high-water mark), so it overstates the child's peak
	// by up to the broker's whole topic; kept for reference only.
	rusageMaxRSS int64
}

// measure starts cmd, waits until done reports the work finished, records
// the wall time, calls before (when not nil) while the child still runs,
// then (when term is set) sends SIGTERM and waits for the child to exit,
// and returns what the child cost. done must return when its context ends.
// A child that exits before done returns is an error.
func measure(ctx context.Context, cmd *exec.Cmd, done, before func(context.Context) error, term bool) (usage, error) {
	stderr := &tail{max: 16 << 10}
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return usage{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var wg sync.WaitGroup
	defer wg.Wait() // after cancel below: the goroutines return once their context ends
	doneCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	finished := make(chan error, 1)
	wg.Go(func() { finished <- done(doneCtx) })
	var peak atomic.Int64
	var poll sync.WaitGroup
	defer poll.Wait()
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	poll.Go(func() { pollHWM(pollCtx, cmd.Process.Pid, &peak) })

	var u usage
	select {
	case err := <-finished:
		u.wall = time.Since(start)
		if err != nil {
			kill(cmd, exited)
			return u, fmt.Errorf("%s: %w\n%s", cmd.Path, err, stderr)
		}
	case err := <-exited:
		return u, fmt.Errorf("%s exited before finishing (%v):\n%s", cmd.Path, err, stderr)
	}
	if before != nil {
		if err := before(ctx); err != nil {
			kill(cmd, exited)
			return u, fmt.Errorf("%s: %w", cmd.Path, err)
		}
	}
	if term {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			kill(cmd, exited)
			return u, fmt.Errorf("stop %s: %w", cmd.Path, err)
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			return u, fmt.Errorf("%s: %w\n%s", cmd.Path, err, stderr)
		}
	case <-time.After(stopGrace):
		kill(cmd, exited)
		return u, fmt.Errorf("%s did not exit within %s of finishing", cmd.Path, stopGrace)
	case <-ctx.Done():
		kill(cmd, exited)
		return u, ctx.Err()
	}
	stopPoll()
	poll.Wait()
	u.peakRSS = peak.Load()
	u.exited(cmd.ProcessState)
	if u.peakRSS == 0 {
		return u, fmt.Errorf("%s: no RSS sample was taken", cmd.Path)
	}
	return u, nil
}

// exited records what the exited child st cost: its user and system CPU
// and its ru_maxrss.
func (u *usage) exited(st *os.ProcessState) {
	u.cpu = st.UserTime() + st.SystemTime()
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		u.rusageMaxRSS = ru.Maxrss * 1024 // KiB on Linux
	}
}

// pollHWM samples the peak resident set size (VmHWM) of process pid into
// peak until ctx ends. VmHWM only grows while the process lives, so the
// last sample is the peak up to at most rssEvery before the process exited.
func pollHWM(ctx context.Context, pid int, peak *atomic.Int64) {
	name := "/proc/" + strconv.Itoa(pid) + "/status"
	tick := time.NewTicker(rssEvery)
	defer tick.Stop()
	for {
		if n, ok := readHWM(name); ok && n > peak.Load() {
			peak.Store(n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// readHWM returns the VmHWM field of a /proc/PID/status file in bytes;
// false when the file cannot be read (the process is gone) or has no such
// field (it is a zombie).
func readHWM(name string) (int64, bool) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, false
	}
	return parseHWM(b)
}

func parseHWM(status []byte) (int64, bool) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, false
		}
		return n * 1024, true
	}
	return 0, false
}

// kill ends the child and waits for it.
func kill(cmd *exec.Cmd, exited <-chan error) {
	_ = cmd.Process.Kill() // it may have exited already
	<-exited
}

// tail keeps the last max bytes written to it, for error reports.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// doneLine is what a child of the harness prints on stdout when its work
// is finished.
const doneLine = "done"

// lineWatcher is a child's stdout: it closes seen when a line equal to
// doneLine arrives.
type lineWatcher struct {
	mu   sync.Mutex
	line []byte
	seen chan struct{}
	once sync.Once
}

func newLineWatcher() *lineWatcher { return &lineWatcher{seen: make(chan struct{})} }

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range p {
		if c != '\n' {
			w.line = append(w.line, c)
			continue
		}
		if bytes.Equal(w.line, []byte(doneLine)) {
			w.once.Do(func() { close(w.seen) })
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}

// wait returns when the done line arrives or ctx ends.
func (w *lineWatcher) wait(ctx context.Context) error {
	select {
	case <-w.seen:
		return nil
	case <-ctx.Done():
		return errors.New("no done line: " + ctx.Err().Error())
	}
}
