// Package iceberg is the suite of landerd's Iceberg tables against a real
// PostgreSQL catalog (test/system/postgres starts one as a process) and
// the in-process broker internal/fakekafka: the real lander lands
// generated attempts into the tables of a local lake, and the tests read
// them back through iceberg-go's scan and check that every Kafka record
// is there exactly once, across replicas committing at once, a crash
// between a flush's publish and its Iceberg commit, commits whose answer
// is lost, and PostgreSQL stopped and started again. It is not part of
// make unit: every test starts PostgreSQL, and fails when it cannot.
package iceberg
