// Package faultfs wraps a lake filesystem (sink.FS) and fails chosen calls
// on purpose: the third Create, the fortieth Write, and so on. The storage
// fault tests of pkg/sink use it, and so does the daemon binary that the
// end-to-end tests build with the faultinject tag (LANDERD_INJECT_FAULTS);
// the shipped binary never imports it.
package faultfs
