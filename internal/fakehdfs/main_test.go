package fakehdfs

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the cluster and the clients the tests start leave
// no goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
