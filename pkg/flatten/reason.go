package flatten

import "fmt"

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
	// ReasonTenantMissing: tenants come from a record header, and the record
	// has none or an empty one. Assigned by the lander, not by Decode.
	ReasonTenantMissing Reason = "tenant_missing"
	// ReasonTenantUnknown: the record's tenant (from its header or topic) is
	// not a configured tenant, or its topic does not match the tenants'
	// topic pattern. Assigned by the lander, not by Decode.
	ReasonTenantUnknown Reason = "tenant_unknown"
)

// Reasons lists every Reason, in a fixed order.
var Reasons = []Reason{
	ReasonEmpty, ReasonTooLarge, ReasonInvalidUTF8, ReasonInvalidJSON, ReasonTooDeep,
	ReasonNotObject, ReasonMissingField, ReasonInvalidType, ReasonInvalidValue,
	ReasonTenantMissing, ReasonTenantUnknown,
}

// Description says in a sentence what the reason means, for docs and logs.
func (r Reason) Description() string {
	switch r {
	case ReasonEmpty:
		return "The message value is empty (a tombstone or a zero-length value)."
	case ReasonTooLarge:
		return "The value is larger than kafka.max_message_bytes."
	case ReasonInvalidUTF8:
		return "The value is not valid UTF-8."
	case ReasonInvalidJSON:
		return "The value is not well-formed JSON (RFC 8259), e.g. truncated, a trailing comma, NaN, or data after the top-level value. Syntax problems take precedence over the reasons below."
	case ReasonTooDeep:
		return fmt.Sprintf("Objects and arrays nest deeper than %d levels.", MaxDepth)
	case ReasonNotObject:
		return "The value is JSON but its top level is not an object."
	case ReasonMissingField:
		return "keen_id is absent, null or empty: without it an attempt cannot be identified or deduplicated."
	case ReasonInvalidType:
		return "A known field has the wrong JSON type, e.g. an object where a string belongs, or true where a count belongs."
	case ReasonInvalidValue:
		return "A known field has the right JSON type but an unusable value: a timestamp that does not parse (or has no zone), a count that is not an integer or does not fit in 32 bits, a boolean string other than \"true\"/\"false\"."
	case ReasonTenantMissing:
		return "tenancy.source is header and the record has no tenancy.header header, or an empty one. Landed under tenant=_unassigned; `detail` names the header."
	case ReasonTenantUnknown:
		return "The record's tenant is not among tenancy.tenants (source header), or its topic does not match tenancy.topic_pattern or names an unconfigured tenant (source topic). Landed under tenant=_unassigned; `detail` names the header value or the topic."
	}
	return "unknown reason"
}
