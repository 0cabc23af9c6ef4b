package kafkacluster

import "syscall"

// procAttr makes the kernel kill a broker when the test process that
// started it dies, so that no JVM outlives a crashed or killed test run.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
