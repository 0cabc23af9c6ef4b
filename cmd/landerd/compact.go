package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
)

// cmdCompact rewrites the small data files of the lake's Iceberg tables
// into files of a target size, once.
func cmdCompact(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var u upkeepFlags
	fs := u.flagSet("compact", "compact", stderr)
	size := fs.String("target-file-size", config.ByteSize(icetable.DefaultTargetFileSize).String(), "size of the files written (bytes, or with a unit: 128MiB, 1GiB)")
	dryRun := fs.Bool("dry-run", false, "print the plan, and write nothing")
	if err := u.parse(fs, "compact", args); err != nil {
		return err
	}
	target, err := config.ParseByteSize(*size)
	if err != nil || target < config.MiB {
		return usagef("compact: --target-file-size %q: want a size of at least 1MiB", *size)
	}
	opts := icetable.CompactOptions{TargetFileSize: int64(target), DryRun: *dryRun}
	return u.eachTable(ctx, "compact", "only Iceberg tables are compacted (docs/iceberg.md, Upkeep, says why the Hive layout is not)", stdout, stderr,
		func(tables *icetable.Tables, _ sink.ReadFS, tg icetable.Target) error {
			start := time.Now()
			c, err := tables.Compact(ctx, tg, opts)
			if err != nil {
				fmt.Fprintf(stdout, "%s.%s: failed: %v\n", c.Namespace, c.Table, err)
				return err
			}
			printCompaction(stdout, c, opts.DryRun, time.Since(start))
			return nil
		})
}

// printCompaction prints one table's plan or compaction.
func printCompaction(w io.Writer, c icetable.Compaction, dryRun bool, took time.Duration) {
	label := c.Namespace + "." + c.Table
	var files int
	var bytes int64
	var est int
	for _, g := range c.Groups {
		files += g.Files
		bytes += g.Bytes
		est += g.EstFiles
	}
	switch {
	case len(c.Groups) == 0:
		fmt.Fprintf(w, "%s: %d data files (%s), nothing to compact\n", label, c.FilesBefore, mib(c.BytesBefore))
		return
	case dryRun:
		fmt.Fprintf(w, "%s: %d data files (%s); would rewrite %d of them (%s) into about %d, in %d groups:\n",
			label, c.FilesBefore, mib(c.BytesBefore), files, mib(bytes), est, len(c.Groups))
	case c.Snapshot == 0:
		fmt.Fprintf(w, "%s: nothing committed: the planned files were rewritten by another compaction\n", label)
		return
	default:
		fmt.Fprintf(w, "%s: rewrote %d data files (%s) into %d (%s) in %d groups, snapshot %d, %d conflicts retried, %s; data files %d before, %d after\n",
			label, c.Rewritten, mib(c.BytesRewritten), c.Added, mib(c.BytesAdded), len(c.Groups),
			c.Snapshot, c.Conflicts, took.Round(time.Millisecond), c.FilesBefore, c.FilesAfter)
	}
	for _, g := range c.Groups {
		fmt.Fprintf(w, "  %s: %d files, %s -> about %d\n", g.Partition, g.Files, mib(g.Bytes), g.EstFiles)
	}
}

// mib formats a size in bytes for people: "3.2 MiB".
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
