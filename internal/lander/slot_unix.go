//go:build unix

package lander

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockSlot takes the lowest slot in 0..n-1 whose lock file, prefix-N.lock
// in dir, no other process holds, and holds it (flock) until release is
// called or the process ends: the kernel drops the lock of a killed
// process, so its restart takes the same slot again.
func lockSlot(dir, prefix string, n int) (slot int, release func(), err error) {
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return 0, nil, err
	}
	for slot = range n {
		name := fmt.Sprintf("%s-%d.lock", prefix, slot)
		f, err := os.OpenFile(name, os.O_RDONLY|os.O_CREATE, 0o644)
		if err != nil {
			return 0, nil, err
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return slot, func() { _ = f.Close() }, nil
		}
		_ = f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return 0, nil, fmt.Errorf("lock %s: %w", name, err)
		}
	}
	return 0, nil, fmt.Errorf("all %d slots of %s are held", n, dir)
}
