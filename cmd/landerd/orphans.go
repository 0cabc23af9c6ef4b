package main

import (
	"context"
	"fmt"
	"io"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
)

// cmdRemoveOrphans deletes, once, the files under the lake's Iceberg
// tables that no snapshot references any more, sparing what a
// partition's state.json names.
func cmdRemoveOrphans(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var u upkeepFlags
	fs := u.flagSet("remove-orphans", "remove the orphan files of", stderr)
	olderThan := fs.Duration("older-than", icetable.DefaultOrphanOlderThan,
		"delete only files last written longer ago than this (at least "+icetable.MinOrphanOlderThan.String()+")")
	dryRun := fs.Bool("dry-run", false, "print what would be deleted, and delete nothing")
	if err := u.parse(fs, "remove-orphans", args); err != nil {
		return err
	}
	if *olderThan < icetable.MinOrphanOlderThan {
		return usagef("remove-orphans: --older-than %v: must be at least %v, longer than any commit in progress takes", *olderThan, icetable.MinOrphanOlderThan)
	}
	opts := icetable.OrphanOptions{OlderThan: *olderThan, DryRun: *dryRun}
	return u.eachTable(ctx, "remove-orphans", "only Iceberg tables have orphan files", stdout, stderr,
		func(tables *icetable.Tables, fsys sink.ReadFS, tg icetable.Target) error {
			o, err := tables.RemoveOrphans(ctx, fsys, tg, opts)
			label := o.Namespace + "." + o.Table
			verb := "deleted"
			if opts.DryRun {
				verb = "would delete"
			}
			if err != nil {
				fmt.Fprintf(stdout, "%s: failed after %d files deleted: %v\n", label, o.Deleted, err)
				return err
			}
			fmt.Fprintf(stdout, "%s: %s %d files no snapshot references (%s), older than %v; spared %d that a partition's state.json names\n",
				label, verb, o.Found, mib(o.FoundBytes), opts.OlderThan, o.Spared)
			return nil
		})
}
