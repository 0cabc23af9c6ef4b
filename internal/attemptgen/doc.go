// Package attemptgen generates synthetic assessment attempts with the shape
// and quirks of the real data set (../shared/data/FACTS.md): the same keys in
// the same order, stringly-typed numbers, fields that go missing, a skewed
// course popularity, exact resends of earlier attempts, and, on request,
// malformed records whose quarantine reason is known in advance.
//
// The content is invented: ids, course titles and answers come from a seeded
// generator, so the same Config always yields the same byte stream. Tests,
// the demo and benchmarks use it where the real data set is too small or
// absent.
package attemptgen
