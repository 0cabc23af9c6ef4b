package flatten

import (
	"math"
	"strconv"
	"testing"
	"time"
)

// TestParseISOAgainstTime checks parseISOMicros against time.Parse.
func TestParseISOAgainstTime(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"2018-01-23T14:23:19.082Z", true},
		{"2018-01-23T14:23:19Z", true},
		{"2018-01-23t14:23:19z", true},
		{"2018-01-23 14:23:19.1+05:30", true},
		{"2018-01-23T14:23:19.123456789-08:00", true},
		{"2016-02-29T00:00:00Z", true},
		{"2000-02-29T23:59:59.999999Z", true},
		{"0001-01-01T00:00:00Z", true},
		{"9999-12-31T23:59:59.999999Z", true},
		{"1969-12-31T23:59:59.5Z", true},
		{"2017-02-29T00:00:00Z", false},
		{"1900-02-29T00:00:00Z", false},
		{"2018-13-01T00:00:00Z", false},
		{"2018-01-32T00:00:00Z", false},
		{"2018-01-23T24:00:00Z", false},
		{"2018-01-23T14:60:00Z", false},
		{"2018-01-23T14:23:19", false},
		{"2018-01-23T14:23:19.Z", false},
		{"2018-01-23T14:23:19+0530", false},
		{"2018-01-23", false},
		{"0000-01-01T00:00:00Z", false},
		{"yesterday at noon, sharp", false},
		{"2018-01-23T14:23:19.082ZZ", false},
	}
	for _, c := range cases {
		got, ok := parseISOMicros([]byte(c.in))
		if ok != c.ok {
			t.Errorf("%q: ok = %v, want %v", c.in, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		layout := time.RFC3339Nano
		in := c.in
		if in[10] == ' ' || in[10] == 't' {
			in = in[:10] + "T" + in[11:]
		}
		if in[len(in)-1] == 'z' {
			in = in[:len(in)-1] + "Z"
		}
		want, err := time.Parse(layout, in)
		if err != nil {
			t.Fatalf("time.Parse(%q): %v", in, err)
		}
		if w := want.Truncate(time.Microsecond).UnixMicro(); got != w {
			// Truncate rounds toward zero time; before 1970 compare floors.
			if want.UnixNano()%1000 == 0 || got != w {
				t.Errorf("%q = %d, want %d", c.in, got, w)
			}
		}
	}
}

func TestParseEpoch(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1516717442.735266", 1516717442735266, true},
		{"1516717442", 1516717442000000, true},
		{"1516717442.7", 1516717442700000, true},
		{"0.000001", 1, true},
		{"1.0000009", 1000000, true},
		{"253402300799.999999", 253402300799999999, true},
		{"253402300800", 0, false},
		{"-1", 0, false},
		{"1.", 0, false},
		{".5", 0, false},
		{"1e9", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, ok := parseEpochMicros([]byte(c.in))
		if ok != c.ok || got != c.want {
			t.Errorf("%q = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseInt32(t *testing.T) {
	cases := []struct {
		in   string
		want int32
		ok   bool
	}{
		{"0", 0, true}, {"7", 7, true}, {"-7", -7, true}, {"1.0", 1, true}, {"1.000", 1, true},
		{"2147483647", math.MaxInt32, true}, {"-2147483648", math.MinInt32, true},
		{"2147483648", 0, false}, {"-2147483649", 0, false}, {"99999999999999999999", 0, false},
		{"1.5", 0, false}, {"1.", 0, false}, {"", 0, false}, {"-", 0, false}, {"abc", 0, false},
		{"1e2", 100, true}, {"1.5e1", 15, true}, {"1e-1", 0, false}, {"1e10", 0, false}, {" 1", 0, false},
	}
	for _, c := range cases {
		got, ok := parseInt32([]byte(c.in))
		if ok != c.ok || got != c.want {
			t.Errorf("%q = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	// Every value near the edges agrees with strconv.
	for _, v := range []int64{math.MaxInt32 - 1, math.MinInt32 + 1, 123456, -98765} {
		got, ok := parseInt32([]byte(strconv.FormatInt(v, 10)))
		if !ok || int64(got) != v {
			t.Errorf("%d: got %d, %v", v, got, ok)
		}
	}
}

// daysFromCivil agrees with the time package on every day of the years the
// parser accepts, sampled: each day of the years around the epoch, leap
// years and century ends, and the first and last days of every year.
func TestDaysFromCivil(t *testing.T) {
	check := func(y, m, d int) {
		t.Helper()
		want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
		if got := daysFromCivil(y, m, d); got != want {
			t.Fatalf("daysFromCivil(%d, %d, %d) = %d; want %d", y, m, d, got, want)
		}
	}
	for _, y := range []int{1, 2, 4, 100, 399, 400, 401, 1600, 1900, 1969, 1970, 1971, 2000, 2018, 2100, 2400, 9999} {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= daysIn(y, m); d++ {
				check(y, m, d)
			}
		}
	}
	for y := 1; y <= 9999; y++ {
		check(y, 1, 1)
		check(y, 2, daysIn(y, 2))
		check(y, 3, 1)
		check(y, 12, 31)
	}
}
