package main

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/landerd/landerd/pkg/sink"
)

// pollEvery is how often the harness reads the lake's partition states.
const pollEvery = 20 * time.Millisecond

// buildLanderd builds ./cmd/landerd of the module at root into dir.
func buildLanderd(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "landerd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/landerd")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build landerd: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot returns the directory of the main module the harness is run in.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("find module root: not inside a Go module; run from landerd's module")
	}
	return filepath.Dir(gomod), nil
}

// landerdConfig is the configuration file the harness gives landerd: the
// production defaults except where the benchmark's broker, topic, group
// and lake are, and where the metrics server listens (a free port, so
// that a benchmark does not collide with another landerd on the machine).
// With format iceberg, the tables are registered in the hadoop catalog
// (version files in the lake), which needs no server.
func landerdConfig(brokers, topic, group, lake, metricsAddr, format string) string {
	iceberg := ""
	if format == formatIceberg {
		iceberg = `  format: iceberg
  iceberg:
    catalog:
      type: hadoop
`
	}
	return fmt.Sprintf(`kafka:
  brokers: [%q]
  topic: %q
  group: %q
lake:
  url: %q
%smetrics:
  addr: %q
`, brokers, topic, group, lake, iceberg, metricsAddr)
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

// landed waits until the lake shows every partition up to its end offset.
func landed(ctx context.Context, lake, topic string, ends []int64) error {
	fsys, err := sink.NewLocal(lake)
	if err != nil {
		return fmt.Errorf("open lake: %w", err)
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	p := int32(0)
	for {
		for int(p) < len(ends) {
			if ends[p] > 0 {
				next, err := sink.Landed(fsys, topic, p)
				if err != nil {
					return err
				}
				if next < ends[p] {
					break
				}
			}
			p++
		}
		if int(p) == len(ends) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("partition %d not landed: %w", p, ctx.Err())
		case <-tick.C:
		}
	}
}

// dirBytes sums the sizes of the regular files under dir.
func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return n, nil
}
