//go:build !linux

package lander

// ReleaseStartupPages does nothing on this system: it has no
// /proc/self/maps to find the executable's mappings in.
func ReleaseStartupPages() (int64, error) { return 0, nil }
