// Package duckdbtest holds the tests that read what trailkit writes with an
// independent engine, DuckDB (through github.com/duckdb/duckdb-go/v2, cgo).
// It is a module of its own so that trailkit's module does not depend on
// cgo or on DuckDB; "make test" runs its tests too.
//
// Open opens an in-memory DuckDB database for a test.
package duckdbtest
