package flatten

import "github.com/apache/arrow-go/v18/arrow"

// Table names: the folders under the lake root. They are defined here, with
// the tables' schemas, and nowhere else.
const (
	TableAttempts   = "attempts"
	TableQuestions  = "questions"
	TableQuarantine = "_quarantine"
)

// Column describes one column of a lake table: its Arrow type and, for
// people, where it comes from and what it means. docs/schema.md is generated
// from these descriptions.
type Column struct {
	Name     string
	Type     arrow.DataType
	Nullable bool
	// Source is the JSON path the value comes from, "derived", or "kafka"/"landerd" for lineage.
	Source string
	Doc    string
}

// Table is a lake table: its name, Arrow schema and documented columns.
type Table struct {
	Name    string
	Doc     string
	Columns []Column
	Schema  *arrow.Schema
	// Dictionary lists the columns with few distinct values, which Parquet
	// stores best dictionary-encoded; the others are near-unique or numeric
	// and are stored plain.
	Dictionary []string
}

// Timestamp is the Arrow type of every timestamp column: microseconds, UTC.
// Parquet stores it as TIMESTAMP(MICROS, isAdjustedToUTC=true).
var Timestamp = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// OptionType is the struct type of one element of questions.options.
var OptionType = arrow.StructOf(
	arrow.Field{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "checked", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	arrow.Field{Name: "correct", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	arrow.Field{Name: "submitted", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	arrow.Field{Name: "at", Type: Timestamp, Nullable: true},
)

var (
	str   = arrow.BinaryTypes.String
	bin   = arrow.BinaryTypes.Binary
	i32   = arrow.PrimitiveTypes.Int32
	i64   = arrow.PrimitiveTypes.Int64
	f64   = arrow.PrimitiveTypes.Float64
	boolT = arrow.FixedWidthTypes.Boolean
)

// lineageColumns end every table: where the row came from and when it landed.
var lineageColumns = []Column{
	{"kafka_topic", str, false, "kafka", "Kafka topic the message was read from."},
	{"kafka_partition", i32, false, "kafka", "Kafka partition of the message."},
	{"kafka_offset", i64, false, "kafka", "Kafka offset of the message; (kafka_topic, kafka_partition, kafka_offset) identifies the message."},
	{"kafka_timestamp", Timestamp, true, "kafka", "Kafka record timestamp (producer or broker time); null when the record has none."},
	{"landed_at", Timestamp, false, "landerd", "When landerd took the message in; the ingest_date partition is this timestamp's UTC date."},
}

// AttemptsTable has one row per attempt.
var AttemptsTable = newTable(TableAttempts,
	"One row per attempt: every field of the attempt's top level and of sequences.counts, typed, plus derived columns and lineage.",
	[]Column{
		{"keen_id", str, false, "keen_id", "Event id of the attempt. The same attempt sent twice has the same keen_id: deduplicate on it."},
		{"keen_timestamp", Timestamp, true, "keen_timestamp", "Event time, parsed from epoch seconds sent as a string (\"1516717442.735266\")."},
		{"keen_created_at", Timestamp, true, "keen_created_at", "Event creation time, parsed like keen_timestamp."},
		{"started_at", Timestamp, true, "started_at", "When the learner started the attempt (RFC 3339 in the source)."},
		{"base_exam_id", str, true, "base_exam_id", "The assessment (exam) taken. Distinct values = number of assessments."},
		{"user_exam_id", str, true, "user_exam_id", "This learner's sitting of the exam; one per attempt (1:1 with keen_id)."},
		{"exam_name", str, true, "exam_name", "Course / exam title, e.g. \"Learning Git\"."},
		{"certification", boolT, true, "certification", "Whether the exam is a certification; parsed from the string \"true\"/\"false\"; null where the source has null."},
		{"max_attempts", i32, true, "max_attempts", "Attempts allowed; parsed from a string such as \"1.0\"."},
		{"sequence_id", str, true, "sequences.id", "Id of the question sequence."},
		{"sequence_attempt", i32, true, "sequences.attempt", "Attempt number within the sequence."},
		{"counts_correct", i32, true, "sequences.counts.correct", "Questions answered correctly; null when counts is absent."},
		{"counts_incorrect", i32, true, "sequences.counts.incorrect", "Questions answered incorrectly."},
		{"counts_incomplete", i32, true, "sequences.counts.incomplete", "Questions left incomplete."},
		{"counts_submitted", i32, true, "sequences.counts.submitted", "Questions submitted."},
		{"counts_unanswered", i32, true, "sequences.counts.unanswered", "Questions not answered."},
		{"counts_total", i32, true, "sequences.counts.total", "Questions in the attempt, as counted by the source."},
		{"counts_all_correct", boolT, true, "sequences.counts.all_correct", "Whether every question was answered correctly."},
		{"score", f64, true, "derived", "counts_correct / counts_total, in [0, 1]; null when either is null or counts_total is 0."},
		{"question_count", i32, true, "derived", "Number of elements of sequences.questions; null when that array is absent."},
		{"option_count", i32, true, "derived", "Number of answer options over all questions; null when sequences.questions is absent."},
		{"first_answer_at", Timestamp, true, "derived", "Earliest `at` over all options of all questions: the first answer given; null when no option was touched."},
		{"completed_at", Timestamp, true, "derived", "Latest `at` over all options of all questions: when the attempt was completed; null when no option was touched."},
		{"duration_seconds", f64, true, "derived", "completed_at - started_at in seconds (fractional); null when either is null."},
		{"unknown_fields", str, true, "derived", "Fields of the message landerd does not know, as a JSON object mapping each field's path to its raw value (e.g. {\"sequences.extra\":1}); null when there are none, so nothing that arrived is lost."},
	}, "base_exam_id", "exam_name", "max_attempts", "sequence_id")

// QuestionsTable has one row per question of an attempt.
var QuestionsTable = newTable(TableQuestions,
	"One row per question of an attempt, with the attempt's keys, the question's fields, option counts, answer times and the options themselves.",
	[]Column{
		{"keen_id", str, false, "keen_id", "The attempt's keen_id (join key to attempts together with the kafka_* lineage columns)."},
		{"user_exam_id", str, true, "user_exam_id", "The attempt's user_exam_id."},
		{"base_exam_id", str, true, "base_exam_id", "The attempt's base_exam_id."},
		{"question_index", i32, false, "derived", "Position of the question in sequences.questions, from 0."},
		{"question_id", str, true, "sequences.questions[].id", "Id of the question."},
		{"user_correct", boolT, true, "sequences.questions[].user_correct", "Whether the learner answered correctly; null when absent."},
		{"user_incomplete", boolT, true, "sequences.questions[].user_incomplete", "Whether the answer was incomplete."},
		{"user_submitted", boolT, true, "sequences.questions[].user_submitted", "Whether the answer was submitted."},
		{"user_result", str, true, "sequences.questions[].user_result", "correct, incorrect, missed_some or unanswered."},
		{"option_count", i32, true, "derived", "Number of options; null when options is absent."},
		{"options_checked", i32, true, "derived", "Options with checked = true."},
		{"options_correct", i32, true, "derived", "Options with correct = true (absent counts as not known correct)."},
		{"first_answer_at", Timestamp, true, "derived", "Earliest `at` among the question's options; null when none was touched."},
		{"last_answer_at", Timestamp, true, "derived", "Latest `at` among the question's options; null when none was touched."},
		{"options", arrow.ListOf(OptionType), true, "sequences.questions[].options", "The options as a list of structs {id, checked, correct, submitted, at}; fields absent in the source are null."},
		{"unknown_fields", str, true, "derived", "Unknown fields of the question and its options (paths relative to the question, e.g. \"options[1].hint\"), as a JSON object; null when none."},
	}, "base_exam_id", "question_id", "user_result", "options.list.element.id")

// QuarantineTable has one row per message that could not be flattened.
var QuarantineTable = newTable(TableQuarantine,
	"One row per message that could not be flattened, with the reason and the raw bytes, so nothing that arrived is lost.",
	[]Column{
		{"reason", str, false, "landerd", "Stable reason code: empty, too_large, invalid_utf8, invalid_json, too_deep, not_object, missing_field, invalid_type, invalid_value, tenant_missing or tenant_unknown."},
		{"field", str, true, "landerd", "JSON path of the offending field (e.g. sequences.questions[2].options[0].at); null when not tied to one field."},
		{"detail", str, false, "landerd", "Human-readable description, with the byte offset of the problem."},
		{"kafka_key", bin, true, "kafka", "Kafka record key, as sent."},
		{"raw", bin, false, "kafka", "The message value exactly as it arrived."},
	}, "reason")

// lineageDictionary are the lineage columns with few distinct values.
var lineageDictionary = []string{"kafka_topic", "kafka_partition"}

func newTable(name, doc string, cols []Column, dict ...string) *Table {
	cols = append(cols, lineageColumns...)
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
	}
	return &Table{Name: name, Doc: doc, Columns: cols, Schema: arrow.NewSchema(fields, nil),
		Dictionary: append(dict, lineageDictionary...)}
}

// Tables lists the lake's tables in a fixed order.
func Tables() []*Table { return []*Table{AttemptsTable, QuestionsTable, QuarantineTable} }
