package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// daemonConfig is the daemon's configuration file: the production defaults
// except lake.roll.max_file_age; what names this run's brokers, topic,
// group and lake; the HDFS user; and the metrics server on a loopback port.
func daemonConfig(brokers []string, topic, group, lakeURL, hdfsUser, metricsAddr string, maxFileAge time.Duration) string {
	quoted := make([]string, len(brokers))
	for i, b := range brokers {
		quoted[i] = fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf(`kafka:
  brokers: [%s]
  topic: %q
  group: %q
lake:
  url: %q
  roll:
    max_file_age: %s
hdfs:
  user: %q
metrics:
  addr: %q
`, strings.Join(quoted, ", "), topic, group, lakeURL, maxFileAge, hdfsUser, metricsAddr)
}

// freeAddr returns a loopback address with a port that is free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// daemon is the landerd process under soak. Its output goes to a file;
// exited is closed when it has exited, and waitErr then holds how.
type daemon struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

// startDaemon runs `landerd run --config cfg`, its standard output and
// error appended to logPath, with the harness's environment less
// landerd's own variables, so that the file alone configures it. The
// daemon is killed should the harness die.
func startDaemon(bin, cfg, logPath string) (*daemon, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "--config", cfg)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANDERD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	if cerr := logFile.Close(); err == nil && cerr != nil { // the child holds its own copy
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("start landerd: %w", err)
	}
	d := &daemon{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() { // owned by d: it ends when the process does, which stop and kill ensure
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// pid returns the daemon's process id.
func (d *daemon) pid() int { return d.cmd.Process.Pid }

// hasExited reports whether the daemon has exited.
func (d *daemon) hasExited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// waitReady waits up to limit until the daemon's /readyz answers 200.
func (d *daemon) waitReady(metricsAddr string, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get("http://" + metricsAddr + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/readyz: %s", resp.Status)
		}
		if d.hasExited() {
			return fmt.Errorf("landerd exited (%v) before it was ready", d.waitErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("landerd not ready within %s: %w", limit, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits up to limit for the daemon to exit,
// killing it after that. It returns the exit code and how long the
// shutdown took.
func (d *daemon) stop(limit time.Duration) (int, time.Duration, error) {
	begin := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return -1, 0, fmt.Errorf("stop landerd: %w", err)
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-d.exited:
	case <-t.C:
		d.kill()
		return -1, time.Since(begin), fmt.Errorf("landerd still running %s after SIGTERM; killed", limit)
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(begin), nil
}

// kill ends the daemon at once, if it still runs, and waits for it.
func (d *daemon) kill() {
	_ = d.cmd.Process.Kill() // it may have exited already
	<-d.exited
}

// logSummary counts a zap JSON log's lines by level, and its warnings and
// errors by message.
type logSummary struct {
	lines    int
	byLevel  map[string]int
	problems []logGroup // warn and above, most frequent first
}

// logGroup is one message logged at warn or above, with how often, when
// first and last, and the first and last error field it carried.
type logGroup struct {
	level, msg            string
	count                 int
	first, last           string // ts fields
	firstError, lastError string
}

// summarizeLog reads a log written by the daemon; lines that are not JSON
// (a panic, say) count under level "text" and are listed as problems.
func summarizeLog(r io.Reader) (logSummary, error) {
	s := logSummary{byLevel: map[string]int{}}
	groups := map[[2]string]*logGroup{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		s.lines++
		var l struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Error string `json:"error"`
			TS    string `json:"ts"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Level == "" {
			l.Level, l.Msg = "text", sc.Text()
		}
		s.byLevel[l.Level]++
		switch l.Level {
		case "debug", "info":
			continue
		}
		ts := l.TS
		k := [2]string{l.Level, l.Msg}
		g := groups[k]
		if g == nil {
			g = &logGroup{level: l.Level, msg: l.Msg, first: ts, firstError: l.Error}
			groups[k] = g
		}
		g.count++
		g.last, g.lastError = ts, l.Error
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	for _, g := range groups {
		s.problems = append(s.problems, *g)
	}
	slices.SortFunc(s.problems, func(a, b logGroup) int {
		return cmp.Or(levelRank(b.level)-levelRank(a.level), b.count-a.count, strings.Compare(a.msg, b.msg))
	})
	return s, nil
}

// levelRank orders log levels, the most severe highest.
func levelRank(level string) int {
	switch level {
	case "warn":
		return 1
	case "error":
		return 2
	case "dpanic", "panic", "fatal", "text":
		return 3
	}
	return 0
}
