//go:build !linux

package spool

import "os"

// fdatasync flushes f; platforms other than Linux use a full fsync.
func fdatasync(f *os.File) error { return f.Sync() }
