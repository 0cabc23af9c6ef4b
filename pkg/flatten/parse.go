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
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	second, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || year < 1 || month < 1 || month > 12 ||
		day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59 {
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
	scale := int64(1_000_000)
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if scale > 1 {
			scale /= 10
			micros += int64(b[i]-'0') * scale
		}
		i++
	}
	return micros, i, i > start
}

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
// proleptic Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
