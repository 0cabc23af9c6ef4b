// Package produce loads a file of JSON records into a Kafka topic: the
// engine of the `landerd produce` command, which takes the place of
// `jq -c '.[]' | kafkacat -P`. (In code, "publish" means making files
// visible in the lake, pkg/sink; putting records on a topic is "produce".)
//
// The input is either one JSON array of objects or JSON lines (one value per
// line), optionally gzip-compressed. The format is detected from the content,
// never the file name: gzip by its magic bytes, an array by a '[' as the
// first non-space byte. The input is streamed, so a file of any size is
// produced in bounded memory.
//
// Each element becomes one message whose value is the element in compact
// form (insignificant whitespace removed, every token kept byte for byte,
// which for the assessment-attempts data equals `jq -c` output) and whose key
// is the element's user_exam_id, or null when it has none.
package produce
