package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/landerd/landerd/internal/lake"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// usageError is a problem with the command line or the configuration: exit
// 2, as for an error of the lake's configuration (lake.ErrConfig).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// parseFlags parses a command's flags and rejects positional arguments. It
// returns errHelp after printing the help that -h asked for.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	return nil
}

// errHelp ends a command that printed its help; the exit code is 0.
var errHelp = errors.New("help shown")

const usage = `landerd lands a Kafka topic of assessment attempts in a Parquet lake, exactly once.

Usage:
  landerd run      [--config FILE] [--brokers B] [--topic T] [--group G] [--lake URL] [--max-file-age D] [--metrics-addr A]
  landerd produce  --brokers B --topic T --file F [--compression C]
  landerd demo     [--file F] [--lake DIR] [--count N] [--partitions P] [--metrics-addr A]
  landerd report   [--lake URL | --config FILE] [--tenant T] [--pass-threshold X] [--json]
  landerd compact  [--config FILE] [--table T] [--tenant T] [--target-file-size 128MiB] [--dry-run]
  landerd expire   [--config FILE] [--table T] [--tenant T] [--older-than 168h] [--retain-last N] [--dry-run]
  landerd remove-orphans [--config FILE] [--table T] [--tenant T] [--older-than 72h] [--dry-run]
  landerd healthcheck [--url http://127.0.0.1:9464/healthz] [--timeout D]
  landerd version

Run 'landerd COMMAND --help' for a command's flags.
`

func main() {
	// A first SIGINT/SIGTERM cancels ctx for a graceful stop; after that the
	// default handling is restored, so a second signal ends the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs one command and returns the exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "produce":
		err = cmdProduce(ctx, args[1:], stdout, stderr)
	case "publish":
		// The command's name before "produce"; kept for one release.
		fmt.Fprintln(stderr, "landerd: \"publish\" is now \"produce\"; the old name goes away in the next release")
		err = cmdProduce(ctx, args[1:], stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "report":
		err = cmdReport(ctx, args[1:], stdout, stderr)
	case "compact":
		err = cmdCompact(ctx, args[1:], stdout, stderr)
	case "expire":
		err = cmdExpire(ctx, args[1:], stdout, stderr)
	case "remove-orphans":
		err = cmdRemoveOrphans(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		err = cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "landerd %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q\n\n%s", args[0], usage)
	}
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue), errors.Is(err, lake.ErrConfig):
		fmt.Fprintf(stderr, "landerd: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "landerd: %v\n", err)
		return 1
	}
}
