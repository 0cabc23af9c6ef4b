// Package flatten turns one Kafka message holding a nested JSON assessment
// attempt into typed rows of the lake's tables, or into a quarantine row that
// says why it could not.
//
// The work is split in two steps so that one record is never half-appended:
//
//  1. A Decoder reads the message bytes with a strict, single-pass JSON
//     scanner into an Attempt: every known field typed (timestamps as
//     microseconds since the epoch, numbers and booleans parsed even when
//     they arrive as strings, absent or null fields marked invalid rather
//     than defaulted), unknown fields kept verbatim. Any problem yields an
//     *InvalidError carrying a stable Reason code.
//  2. A Batch appends the Attempt to the Arrow buffers of the `attempts` and
//     `questions` tables (computing the derived columns), or appends the raw
//     message to the `_quarantine` table's, and hands the buffers out as
//     record batches. It writes the buffers directly rather than through
//     Arrow's builders, growing them as the builders do; its records equal
//     the builders' (a test compares them).
//
// The package is pure: bytes in, Arrow rows out. It does no I/O, keeps no
// globals and never logs. The table schemas are defined once here
// (AttemptsSchema, QuestionsSchema, QuarantineSchema) together with the
// column documentation that docs/schema.md is generated from.
package flatten
