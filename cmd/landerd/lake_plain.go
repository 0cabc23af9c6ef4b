//go:build !faultinject

package main

import "github.com/landerd/landerd/pkg/sink"

// wrapLake, which run and demo open the lake with (lake.WithWrap), returns
// the lake as it is. Builds with the faultinject tag (the end-to-end
// tests' build only) wrap it in a fault injector instead.
func wrapLake(lake sink.FS) (sink.FS, error) { return lake, nil }
