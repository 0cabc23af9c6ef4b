// Package fakekafka runs an embedded, in-process Kafka-compatible broker for
// landerd's demo and tests. It wraps franz-go's kfake cluster: a single node
// that speaks the Kafka wire protocol over TCP on the loopback interface, so
// real clients (sarama, franz-go, kcat) connect to it unchanged.
//
// The broker keeps every record in memory; keep the topics it serves bounded.
// Besides starting and stopping it, the package offers two conveniences for
// tests: producing records quickly (Produce, ProduceWith) and reading the
// topic's end offsets (EndOffsets).
package fakekafka
