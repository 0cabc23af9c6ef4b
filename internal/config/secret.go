package config

// Secret is a string that never prints: fmt, JSON, text and YAML encodings
// all show "[REDACTED]" (or "" when it is empty). Value returns the real
// string for the code that needs it, such as the Kafka client's SASL setup.
type Secret string

const redacted = "[REDACTED]"

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String returns "[REDACTED]", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText keeps JSON and text encoders from printing the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML keeps the YAML encoder from printing the secret.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
