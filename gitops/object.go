package gitops

import (
	"bytes"
	"errors"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
)

// storedObject is an object read from disk, under the name it was looked
// up by: unlike go-git's MemoryObject it neither copies its content nor
// hashes it again.
type storedObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	data []byte
}

var errReadOnlyObject = errors.New("an object read from disk cannot be changed")

func (o *storedObject) Hash() plumbing.Hash             { return o.hash }
func (o *storedObject) Type() plumbing.ObjectType       { return o.typ }
func (o *storedObject) SetType(plumbing.ObjectType)     {}
func (o *storedObject) Size() int64                     { return int64(len(o.data)) }
func (o *storedObject) SetSize(int64)                   {}
func (o *storedObject) Writer() (io.WriteCloser, error) { return nil, errReadOnlyObject }

func (o *storedObject) Reader() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.data)), nil
}
