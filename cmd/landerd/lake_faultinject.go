//go:build faultinject

package main

import (
	"os"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/faultfs"
)

// faultsEnv names the environment variable that injects storage faults
// into a binary built with the faultinject tag (a faultfs.New spec,
// e.g. "rename=3,close=7"). Only the end-to-end tests build that binary;
// the shipped one has no such switch.
const faultsEnv = "LANDERD_INJECT_FAULTS"

// wrapLake wraps the lake in a fault injector when faultsEnv is set.
func wrapLake(lake sink.FS) (sink.FS, error) {
	spec := os.Getenv(faultsEnv)
	if spec == "" {
		return lake, nil
	}
	ff, err := faultfs.New(lake, spec)
	if err != nil {
		return nil, usagef("%s: %v", faultsEnv, err)
	}
	return ff, nil
}
