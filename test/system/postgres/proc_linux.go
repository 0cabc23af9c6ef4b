package postgres

import "syscall"

// procAttr runs a PostgreSQL program with cred (nil: as this process's
// user) and makes the kernel kill it when the test process that started it
// dies, so that no server outlives a crashed or killed test run. The
// kernel keeps the death signal across the change of user because Go sets
// it after the credentials.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
}
