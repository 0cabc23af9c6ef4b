// Package config holds landerd's configuration: one YAML file, decoded
// strictly over documented defaults, overridden by a few environment
// variables, and validated as a whole before any connection opens.
//
// configs/landerd.yaml documents every option with its default; a test
// keeps it equal to Default.
//
// Decoding is strict: an unknown key, a value of the wrong type or a second
// YAML document is an error naming its line. Durations are Go durations
// ("30s", "5m"); sizes are bytes, written as integers or with a unit
// ("128MiB", "64KiB", "1GB"), see ByteSize.
//
// Environment variables override the file, for deployment secrets and the
// settings that differ between deployments. A variable that is set
// overrides its field even when empty:
//
//	LANDERD_KAFKA_BROKERS            kafka.brokers (comma-separated host:port list)
//	LANDERD_KAFKA_TOPIC              kafka.topic
//	LANDERD_KAFKA_GROUP              kafka.group
//	LANDERD_KAFKA_INSTANCE_ID        kafka.instance_id
//	LANDERD_KAFKA_ON_RETENTION_GAP   kafka.on_retention_gap
//	LANDERD_KAFKA_CLIENT_ID          kafka.client_id
//	LANDERD_KAFKA_SASL_MECHANISM     kafka.sasl.mechanism
//	LANDERD_KAFKA_SASL_USERNAME      kafka.sasl.username
//	LANDERD_KAFKA_SASL_PASSWORD      kafka.sasl.password
//	LANDERD_LAKE_URL                 lake.url
//	LANDERD_ICEBERG_CATALOG_PASSWORD lake.iceberg.catalog.password
//	LANDERD_HDFS_USER                hdfs.user
//	LANDERD_HDFS_KERBEROS_PRINCIPAL  hdfs.kerberos.principal
//	LANDERD_HDFS_KERBEROS_KEYTAB     hdfs.kerberos.keytab
//	LANDERD_MEMORY_BUDGET_BYTES      memory.budget_bytes (a size, e.g. 512MiB)
//	LANDERD_METRICS_ADDR             metrics.addr
//	LANDERD_LOG_LEVEL                log.level
//	LANDERD_LOG_FORMAT               log.format
//
// The environment is passed in (os.LookupEnv in main), never read from the
// process, so tests need no global state.
//
// Validate reports every problem at once, as an errors.Join of
// *FieldError, each naming its field's YAML path ("kafka.brokers: must not
// be empty"), including the rules between fields. Secrets never print:
// Secret hides itself from fmt, JSON and YAML, Config.String prints the
// redacted configuration, and Redacted returns a copy without them.
//
// The tenancy section says where each record's tenant comes from (none,
// a header, or the topic through a pattern with {tenant}) and lists the
// known tenants with the HDFS group that may read each one's data; the
// topics consumed are kafka.topic, kafka.topics, or the pattern expanded
// for every tenant (ConsumedTopics).
//
// The consumer group's timeouts are checked against each other, because
// the wrong mix stalls a restarted replica rather than failing it: the
// coordinator may hold a JoinGroup for kafka.rebalance_timeout, so the
// client's read timeout (kafka.read_timeout, NetReadTimeout) must outlast
// it by JoinGroupGrace; a revoked partition's flush
// (kafka.revoke_deadline, RevokeFlushDeadline) must end within the
// rebalance timeout; heartbeats must come at least three times per
// session timeout, and the rebalance timeout must be at least the session
// timeout.
package config
