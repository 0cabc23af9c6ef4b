// Package realdata locates the real assessment-attempts data set, which lives
// outside the repository in ../shared/data beside the checkout. Tests and
// benchmarks use it when it is present and skip cleanly when it is not; no
// part of it is ever copied into the repository.
package realdata
