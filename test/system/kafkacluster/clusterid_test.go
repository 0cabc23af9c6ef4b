package kafkacluster

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestClusterIDNeverLooksLikeAnOption formats storage with -t ID: an id
// starting with '-' made kafka-storage fail with "expected one argument".
func TestClusterIDNeverLooksLikeAnOption(t *testing.T) {
	for range 10000 {
		id, err := newClusterID()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(id, "-") {
			t.Fatalf("cluster id %q starts with '-'", id)
		}
		b, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || len(b) != 16 {
			t.Fatalf("cluster id %q is not 16 bytes of base64url: %v", id, err)
		}
	}
}
