package httpaudit_test

import (
	"io"
	"log"
)

// discardLogger keeps net/http's report of a recovered panic out of the test
// output; the panic itself is what the test checks.
func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
