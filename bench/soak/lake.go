package main

import (
	"github.com/landerd/landerd/pkg/sink"
)

// landedTotal returns how many records the lake shows landed over all
// partitions: the sum of each partition's next offset after its last
// published flush.
func landedTotal(lake sink.ReadFS, topic string, partitions int32) (int64, error) {
	var total int64
	for p := range partitions {
		next, err := sink.Landed(lake, topic, p)
		if err != nil {
			return 0, err
		}
		total += next
	}
	return total, nil
}
