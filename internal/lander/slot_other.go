//go:build !unix

package lander

import "errors"

// lockSlot needs flock; elsewhere membership is dynamic.
func lockSlot(dir, prefix string, n int) (int, func(), error) {
	return 0, nil, errors.New("no file locks on this system")
}
