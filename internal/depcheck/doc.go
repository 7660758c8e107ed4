// Package depcheck holds no code: its test keeps the pipeline's imports
// flowing one way (fixtures and engine, then fleet, then sweep and build,
// then the records format, then analyze, then reports, then cmd), in the
// manner of go-containerregistry's depcheck_test.go.
package depcheck
