package main

import (
	"math"
	"testing"
)

func TestHistogramQuantile(t *testing.T) {
	// 10 observations: 4 up to 5ms, 4 more up to 10ms, 2 more up to 25ms.
	h := Histogram{Count: 10, Sum: 0.1, Bounds: []float64{0.005, 0.01, 0.025}, Counts: []uint64{4, 8, 10}}
	tests := []struct {
		q, want float64
	}{
		{0.2, 0.0025},  // rank 2 of 4 in [0, 5ms]
		{0.5, 0.00625}, // rank 5: 1 of 4 in (5ms, 10ms]
		{0.9, 0.0175},  // rank 9: 1 of 2 in (10ms, 25ms]
		{1, 0.025},
	}
	for _, tt := range tests {
		if got := h.Quantile(tt.q); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := h.Mean(); got != 0.01 {
		t.Errorf("Mean = %v, want 0.01", got)
	}
	if got := (Histogram{}).Quantile(0.5); !math.IsNaN(got) {
		t.Errorf("Quantile of nothing = %v, want NaN", got)
	}
}

func TestHistogramAdd(t *testing.T) {
	var h Histogram
	a := Histogram{Count: 2, Sum: 1, Bounds: []float64{1, 2}, Counts: []uint64{1, 2}}
	for range 2 {
		if err := h.add(a); err != nil {
			t.Fatal(err)
		}
	}
	if h.Count != 4 || h.Sum != 2 || h.Counts[0] != 2 || h.Counts[1] != 4 {
		t.Errorf("sum = %+v", h)
	}
	if err := h.add(Histogram{Bounds: []float64{1}, Counts: []uint64{0}}); err == nil {
		t.Error("adding other bounds: no error")
	}
}
