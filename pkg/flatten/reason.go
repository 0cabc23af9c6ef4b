package flatten

// Reason is a stable, documented code saying why a record could not be
// flattened. It is stored in the `reason` column of the `_quarantine` table
// and used as a metric label, so the set is small and fixed.
type Reason string

// The reasons a record is quarantined. docs/schema.md describes each one.
const (
	// ReasonEmpty: the message value is empty (a tombstone or a zero-length value).
	ReasonEmpty Reason = "empty"
	// ReasonTooLarge: the value is larger than the configured maximum message size.
	ReasonTooLarge Reason = "too_large"
	// ReasonInvalidUTF8: the value is not valid UTF-8.
	ReasonInvalidUTF8 Reason = "invalid_utf8"
	// ReasonInvalidJSON: the value is not well-formed JSON (including truncated JSON).
	ReasonInvalidJSON Reason = "invalid_json"
	// ReasonTooDeep: the JSON nests deeper than MaxDepth.
	ReasonTooDeep Reason = "too_deep"
	// ReasonNotObject: the value is JSON, but its top level is not an object.
	ReasonNotObject Reason = "not_object"
	// ReasonMissingField: a required field (keen_id) is absent, null or empty.
	ReasonMissingField Reason = "missing_field"
	// ReasonInvalidType: a known field holds the wrong JSON type (e.g. an object where a string belongs).
	ReasonInvalidType Reason = "invalid_type"
	// ReasonInvalidValue: a known field has the right JSON type but an unusable value
	// (a timestamp that does not parse, a count that is not an integer or is out of range).
	ReasonInvalidValue Reason = "invalid_value"
)

// Reasons lists every Reason, in a fixed order.
var Reasons = []Reason{
	ReasonEmpty, ReasonTooLarge, ReasonInvalidUTF8, ReasonInvalidJSON, ReasonTooDeep,
	ReasonNotObject, ReasonMissingField, ReasonInvalidType, ReasonInvalidValue,
}
