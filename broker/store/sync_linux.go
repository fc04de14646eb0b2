package store

import (
	"os"
	"syscall"
)

// datasync is fdatasync: it flushes the data and the file size, which is
// all an append changes, and skips the timestamps that fsync also writes.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
