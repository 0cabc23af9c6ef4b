package sink_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
)

func TestUnwrapPath(t *testing.T) {
	cause := errors.New("cause")
	pe := &fs.PathError{Op: "stat", Path: "a/b", Err: cause}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"path error", pe, cause},
		{"wrapped path error", fmt.Errorf("list: %w", pe), cause},
		{"other error", cause, cause},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sink.UnwrapPath(tt.err); got != tt.want {
				t.Errorf("UnwrapPath(%v) = %v; want %v", tt.err, got, tt.want)
			}
		})
	}
}
