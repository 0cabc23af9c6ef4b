package flatten

import (
	"math"
	"strconv"
)

// parseInt32 parses the text of an integer: a JSON number or the content of
// a string such as "3" or "1.0". A fraction must be zero and the value must
// fit in an int32.
func parseInt32(b []byte) (int32, bool) {
	i, neg := 0, false
	if i < len(b) && b[i] == '-' {
		neg, i = true, 1
	}
	start := i
	var v int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		if v > math.MaxInt32+1 {
			return 0, false
		}
		i++
	}
	if i == start {
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i == len(b) {
			return 0, false
		}
		for ; i < len(b) && b[i] == '0'; i++ {
		}
	}
	if i != len(b) {
		return parseInt32Float(b)
	}
	if neg {
		v = -v
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}

// parseInt32Float handles the rare forms with exponents ("1e2", "1.50e1").
func parseInt32Float(b []byte) (int32, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int32(f), true
}

// parseEpochMicros parses seconds since the Unix epoch with an optional
// fraction ("1516717442.735266") into microseconds, exactly: digits past the
// sixth of the fraction are truncated.
func parseEpochMicros(b []byte) (int64, bool) {
	i := 0
	var sec int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		sec = sec*10 + int64(b[i]-'0')
		if sec > maxEpochSeconds {
			return 0, false
		}
		i++
	}
	if i == 0 {
		return 0, false
	}
	frac, i, ok := fraction(b, i)
	if !ok || i != len(b) {
		return 0, false
	}
	return sec*1_000_000 + frac, true
}

// maxEpochSeconds is 9999-12-31T23:59:59Z, the end of the range Parquet
// readers render.
const maxEpochSeconds = 253402300799

// parseISOMicros parses an RFC 3339 timestamp with a zone designator
// ("2018-01-23T14:23:19.082Z", "2018-01-23 16:23:19+02:00") into
// microseconds since the epoch, UTC. Fraction digits past the sixth are
// truncated.
func parseISOMicros(b []byte) (int64, bool) {
	// YYYY-MM-DDTHH:MM:SS is 19 bytes; a zone needs at least one more.
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	if t := b[10]; t != 'T' && t != 't' && t != ' ' {
		return 0, false
	}
	// The fourteen digits, checked at once: a byte below '0' wraps around
	// past 9.
	y0, y1, y2, y3 := b[0]-'0', b[1]-'0', b[2]-'0', b[3]-'0'
	mo0, mo1, d0, d1 := b[5]-'0', b[6]-'0', b[8]-'0', b[9]-'0'
	h0, h1, mi0, mi1, s0, s1 := b[11]-'0', b[12]-'0', b[14]-'0', b[15]-'0', b[17]-'0', b[18]-'0'
	if max(y0, y1, y2, y3, mo0, mo1, d0, d1, h0, h1, mi0, mi1, s0, s1) > 9 {
		return 0, false
	}
	year := int(y0)*1000 + int(y1)*100 + int(y2)*10 + int(y3)
	month, day := int(mo0)*10+int(mo1), int(d0)*10+int(d1)
	hour, minute, second := int(h0)*10+int(h1), int(mi0)*10+int(mi1), int(s0)*10+int(s1)
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || second > 59 {
		return 0, false
	}
	frac, i, ok := fraction(b, 19)
	if !ok {
		return 0, false
	}
	var offset int64
	switch {
	case i == len(b)-1 && (b[i] == 'Z' || b[i] == 'z'):
	case i == len(b)-6 && (b[i] == '+' || b[i] == '-') && b[i+3] == ':':
		oh, ok1 := digits(b[i+1 : i+3])
		om, ok2 := digits(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = int64(oh*3600 + om*60)
		if b[i] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+second) - offset
	return secs*1_000_000 + frac, true
}

// fraction parses an optional ".digits" at b[i:] as microseconds (digits
// past the sixth are truncated) and returns the index after it.
func fraction(b []byte, i int) (micros int64, next int, ok bool) {
	if i >= len(b) || b[i] != '.' {
		return 0, i, true
	}
	i++
	start := i
	n := 0
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		if n < 6 {
			micros = micros*10 + int64(b[i]-'0')
			n++
		}
	}
	return micros * pow10[6-n], i, i > start
}

var pow10 = [7]int64{1, 10, 100, 1_000, 10_000, 100_000, 1_000_000}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date in the years 1 to 9999 (Howard Hinnant's
// algorithm, in unsigned arithmetic: the year before a March-based year 1
// is 0, never negative).
func daysFromCivil(y, m, d int) int64 {
	mp := uint(m - 3) // months since March
	if m <= 2 {
		y--
		mp = uint(m + 9)
	}
	era := uint(y) / 400
	yoe := uint(y) - era*400
	doy := (153*mp+2)/5 + uint(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097+doe) - 719468
}
