//go:build !unix

package gitops

import (
	"io"
	"os"
)

// mapFile reads f into memory where mapping is not implemented.
func mapFile(f *os.File) (data []byte, unmap func() error, err error) {
	data, err = io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
