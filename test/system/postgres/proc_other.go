//go:build unix && !linux

package postgres

import "syscall"

// procAttr runs a PostgreSQL program with cred (nil: as this process's
// user); where the kernel cannot tie a child's life to its parent's there
// is nothing more to set.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
