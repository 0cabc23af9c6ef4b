package produce_test

import "io"

// errUnexpectedEOF marks test cases whose error must wrap io.ErrUnexpectedEOF.
var errUnexpectedEOF = io.ErrUnexpectedEOF
