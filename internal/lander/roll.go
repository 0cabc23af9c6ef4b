package lander

import "time"

// rollReason says why an owner rolled its files: closed them and published
// them as one flush. It labels the flush metric and the flush log line.
type rollReason string

// The reasons files roll. rollNone means they stay open.
const (
	rollNone     rollReason = ""
	rollRecords  rollReason = "records"  // the flush reached lake.roll.max_file_records
	rollBytes    rollReason = "bytes"    // a file reached lake.roll.max_file_bytes
	rollAge      rollReason = "age"      // the first record is lake.roll.max_file_age old
	rollDay      rollReason = "day"      // the UTC day changed (ingest_date partitioning)
	rollHives    rollReason = "hives"    // the flush spans more than maxOpenHives Hive partitions
	rollRevoke   rollReason = "revoke"   // the partition was revoked
	rollShutdown rollReason = "shutdown" // the daemon is stopping
)

// maxOpenHives bounds the Hive partitions one flush may span (event_date
// partitioning over a backlog): each holds open files and builders.
const maxOpenHives = 16

// rollPolicy is the one place that decides when an owner's buffered
// records must be published. Revocation and shutdown are not its
// decisions: they come from the group session.
type rollPolicy struct {
	maxRecords int64
	maxBytes   int64
	maxAge     time.Duration
	maxHives   int
	daily      bool // ingest_date partitioning: a flush never spans two UTC days
}

// flushState is what the policy looks at: the flush being accumulated.
type flushState struct {
	records     int64     // records buffered or written since the last flush
	largestFile int64     // bytes of the largest open file
	hives       int       // Hive partitions the flush spans
	opened      time.Time // when the flush got its first record
}

// decide returns why the flush in s must be published now, or rollNone.
// The owner asks before it appends a record (so that a record of a new UTC
// day does not join the previous day's flush), after it has appended one,
// and when the age deadline fires on an idle partition.
func (p rollPolicy) decide(s flushState, now time.Time) rollReason {
	switch {
	case s.records == 0:
		return rollNone
	case p.daily && utcDay(now) != utcDay(s.opened):
		return rollDay
	case !now.Before(s.opened.Add(p.maxAge)):
		return rollAge
	case s.records >= p.maxRecords:
		return rollRecords
	case s.largestFile >= p.maxBytes:
		return rollBytes
	case s.hives > p.maxHives:
		return rollHives
	}
	return rollNone
}

// deadline is when the flush in s becomes due by age, or the zero time
// when nothing is buffered.
func (p rollPolicy) deadline(s flushState) time.Time {
	if s.records == 0 {
		return time.Time{}
	}
	return s.opened.Add(p.maxAge)
}

// utcDay numbers t's UTC day since the epoch.
func utcDay(t time.Time) int64 {
	return t.Unix() / 86400
}
