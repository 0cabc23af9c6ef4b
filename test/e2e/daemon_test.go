package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logLine is one line of the daemon's JSON log (zap's production encoder),
// with the fields the tests look at.
type logLine struct {
	TS             time.Time `json:"ts"` // RFC 3339 with nanoseconds; zero on a line that is not JSON
	Level          string    `json:"level"`
	Msg            string    `json:"msg"`
	Error          string    `json:"error"`
	Topic          string    `json:"topic"`
	Partition      *int32    `json:"partition"`
	Offset         int64     `json:"offset"`
	FirstOffset    int64     `json:"first_offset"`
	LastOffset     int64     `json:"last_offset"`
	RolledForward  int       `json:"rolled_forward"`
	OrphansRemoved int       `json:"orphans_removed"`

	raw string
}

// The daemon's log messages the tests wait for or count.
const (
	msgFlushPublished   = "flush published"
	msgPartitionAssign  = "partition assigned"
	msgPartitionRelease = "partition released"
)

// daemon is one landerd process. Its stderr is read line by line by a
// goroutine that the daemon owns; done is closed once the process has
// exited and its log is fully read.
type daemon struct {
	name    string
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{}

	mu      sync.Mutex
	lines   []logLine
	changed chan struct{} // closed and replaced whenever a line arrives
	exitErr error         // the result of cmd.Wait; set before done closes
	ended   time.Time     // when cmd.Wait returned; set before done closes
}

// startDaemon starts `landerd run` for the harness's topic, group and lake.
// extraEnv adds KEY=VALUE pairs to the environment, after the LANDERD_*
// variables of the test's own environment are removed. The process is
// killed at the end of the test if it still runs.
func startDaemon(t *testing.T, h *harness, name string, extraEnv ...string) *daemon {
	t.Helper()
	cmd := exec.Command(landerdBin, "run",
		"--config", h.cfgPath,
		"--brokers", strings.Join(h.broker.addrs(), ","),
		"--topic", h.topic,
		"--group", h.group,
		"--lake", h.lakeURL)
	cmd.Env = append(landerdEnv(), extraEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	logPath := filepath.Join(h.logDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{}), changed: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	d.started = time.Now()
	go func() {
		defer close(d.done)
		w := bufio.NewWriter(logFile)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			raw := sc.Text()
			_, _ = w.WriteString(raw + "\n")
			var l logLine
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				l = logLine{Msg: raw}
			}
			l.raw = raw
			d.mu.Lock()
			d.lines = append(d.lines, l)
			close(d.changed)
			d.changed = make(chan struct{})
			d.mu.Unlock()
		}
		werr := w.Flush()
		cerr := logFile.Close()
		err := cmd.Wait()
		d.mu.Lock()
		d.exitErr = err
		d.ended = time.Now()
		if serr := sc.Err(); serr != nil {
			d.lines = append(d.lines, logLine{Msg: "e2e: reading stderr: " + serr.Error()})
		}
		if werr != nil || cerr != nil {
			d.lines = append(d.lines, logLine{Msg: fmt.Sprintf("e2e: writing %s: %v %v", logPath, werr, cerr)})
		}
		d.mu.Unlock()
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			_ = cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			t.Logf("last lines of %s's log (%s):\n%s", name, logPath, d.tail(25))
		}
	})
	t.Logf("%s: started, pid %d", name, cmd.Process.Pid)
	return d
}

// landerdEnv is the environment the tests run landerd in: the test's
// own, without its LANDERD_* variables, which would override the
// configuration file.
func landerdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANDERD_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitAssigned waits up to limit until the daemon has claimed a partition,
// so that it runs with its signal handlers in place.
func (d *daemon) waitAssigned(t *testing.T, limit time.Duration) {
	t.Helper()
	if _, ok := d.waitLog(0, limit, isMsg(msgPartitionAssign)); !ok {
		t.Fatalf("%s: no partition assigned within %s (exited: %v)\n%s", d.name, limit, d.exited(), d.tail(20))
	}
}

// exited reports whether the process has ended.
func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process unless it has ended.
func (d *daemon) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if d.exited() {
		t.Fatalf("%s: cannot send %v, the process has exited: %v\n%s", d.name, sig, d.exitError(), d.tail(20))
	}
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%s: send %v: %v", d.name, sig, err)
	}
}

// kill sends SIGKILL and waits for the process to end.
func (d *daemon) kill(t *testing.T) {
	t.Helper()
	d.signal(t, syscall.SIGKILL)
	<-d.done
	t.Logf("%s: killed after %s with %d log lines", d.name, time.Since(d.started).Round(time.Millisecond), d.lineCount())
}

// stop sends SIGTERM and waits up to limit for the process to end. It
// returns the exit code and how long the exit took.
func (d *daemon) stop(t *testing.T, limit time.Duration) (code int, took time.Duration) {
	t.Helper()
	start := time.Now()
	d.signal(t, syscall.SIGTERM)
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-d.done:
	case <-timer.C:
		t.Fatalf("%s: still running %s after SIGTERM\n%s", d.name, limit, d.tail(20))
	}
	took = time.Since(start)
	code = d.cmd.ProcessState.ExitCode()
	t.Logf("%s: exited with code %d %s after SIGTERM", d.name, code, took.Round(time.Millisecond))
	return code, took
}

// endTime returns when the process ended, or the zero time while it runs.
func (d *daemon) endTime() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ended
}

func (d *daemon) exitError() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exitErr
}

// lineCount is the number of log lines read so far.
func (d *daemon) lineCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.lines)
}

// waitLog waits up to limit for a log line at index from or later that
// satisfies match. It returns the index after the matching line, or false
// when the time is up or the process ended without one.
func (d *daemon) waitLog(from int, limit time.Duration, match func(logLine) bool) (next int, found bool) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		d.mu.Lock()
		for i := from; i < len(d.lines); i++ {
			if match(d.lines[i]) {
				d.mu.Unlock()
				return i + 1, true
			}
		}
		from = len(d.lines)
		changed := d.changed
		d.mu.Unlock()
		select {
		case <-changed:
		case <-d.done:
			// The reader closes done only after the last line; look once more.
			d.mu.Lock()
			n := len(d.lines)
			d.mu.Unlock()
			if n == from {
				return from, false
			}
		case <-timer.C:
			return from, false
		}
	}
}

// logs returns the log lines that satisfy match.
func (d *daemon) logs(match func(logLine) bool) []logLine {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []logLine
	for _, l := range d.lines {
		if match(l) {
			out = append(out, l)
		}
	}
	return out
}

// tail returns the last n raw log lines.
func (d *daemon) tail(n int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	start := max(0, len(d.lines)-n)
	var b strings.Builder
	for _, l := range d.lines[start:] {
		b.WriteString(l.raw)
		b.WriteByte('\n')
	}
	return b.String()
}

// isMsg matches log lines with the given message.
func isMsg(msg string) func(logLine) bool {
	return func(l logLine) bool { return l.Msg == msg }
}

// msgQuarantined is the sampled warning about a malformed record: expected
// input, not a problem of the daemon.
const msgQuarantined = "record quarantined"

// isProblem matches warn and error lines (and worse), except the warnings
// about quarantined records.
func isProblem(l logLine) bool {
	if l.Msg == msgQuarantined {
		return false
	}
	switch l.Level {
	case "warn", "error", "dpanic", "panic", "fatal":
		return true
	}
	return false
}
