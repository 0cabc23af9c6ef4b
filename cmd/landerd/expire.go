package main

import (
	"context"
	"fmt"
	"io"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
)

// cmdExpire removes old snapshots from the metadata of the lake's Iceberg
// tables, once, deleting no file.
func cmdExpire(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var u upkeepFlags
	fs := u.flagSet("expire", "expire the snapshots of", stderr)
	olderThan := fs.Duration("older-than", icetable.DefaultExpireOlderThan, "expire snapshots older than this")
	retain := fs.Int("retain-last", 1, "keep at least this many of the newest snapshots, whatever their age")
	dryRun := fs.Bool("dry-run", false, "print what would be expired, and change nothing")
	if err := u.parse(fs, "expire", args); err != nil {
		return err
	}
	if *olderThan <= 0 || *retain < 1 {
		return usagef("expire: --older-than must be positive and --retain-last at least 1")
	}
	opts := icetable.ExpireOptions{OlderThan: *olderThan, RetainLast: *retain, DryRun: *dryRun}
	return u.eachTable(ctx, "expire", "only Iceberg tables have snapshots", stdout, stderr,
		func(tables *icetable.Tables, _ sink.ReadFS, tg icetable.Target) error {
			e, err := tables.Expire(ctx, tg, opts)
			label := e.Namespace + "." + e.Table
			switch {
			case err != nil:
				fmt.Fprintf(stdout, "%s: failed: %v\n", label, err)
				return err
			case opts.DryRun:
				fmt.Fprintf(stdout, "%s: %d snapshots; would expire %d, keeping %d (at least the newest %d)\n", label, e.Before, e.Before-e.After, e.After, e.Kept)
			default:
				fmt.Fprintf(stdout, "%s: %d snapshots; expired %d, kept %d (at least the newest %d); no file deleted (landerd remove-orphans deletes them)\n", label, e.Before, e.Before-e.After, e.After, e.Kept)
			}
			return nil
		})
}
