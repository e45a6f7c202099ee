package gitops

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// packIndex is a version 2 pack index (a pack's .idx file), mapped into
// memory and searched where it lies: the fanout table narrows a lookup to
// the names starting with the same byte, a binary search finds the name,
// and its offset is read from the offset tables. Nothing proportional to
// the pack's object count is decoded or allocated, so a clone's memory does
// not grow with its history; only the pages a lookup touches are resident.
type packIndex struct {
	path  string
	data  []byte // the whole file, mapped read-only
	unmap func() error
	count int
	// names, offsets and large are the tables of the file, as slices of
	// data.
	names, offsets, large []byte
	// packSum is the checksum of the pack the index describes.
	packSum plumbing.Hash
}

const (
	idxHeaderSize = 8
	idxFanoutSize = 256 * 4
	// idxLargeOffset flags an offset table entry that is an index into
	// the table of 64-bit offsets.
	idxLargeOffset = 1 << 31
)

var idxMagic = []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}

// openPackIndex maps the index at path and checks its layout.
func openPackIndex(path string) (*packIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, unmap, err := mapFile(f)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", filepath.Base(path), err)
	}
	idx, err := parsePackIndex(path, data)
	if err != nil {
		_ = unmap()
		return nil, err
	}
	idx.unmap = unmap
	return idx, nil
}

// parsePackIndex checks the layout of the index data and slices its
// tables.
func parsePackIndex(path string, data []byte) (*packIndex, error) {
	bad := func(what string) error {
		return fmt.Errorf("%w: %s: %s", idxfile.ErrMalformedIdxFile, filepath.Base(path), what)
	}
	if len(data) < idxHeaderSize+idxFanoutSize+2*20 {
		return nil, bad(fmt.Sprintf("truncated (%d bytes)", len(data)))
	}
	if !bytes.Equal(data[:idxHeaderSize], idxMagic) {
		return nil, bad("not a version 2 pack index")
	}
	fanout := data[idxHeaderSize : idxHeaderSize+idxFanoutSize]
	n := int(binary.BigEndian.Uint32(fanout[255*4:]))
	tables := idxHeaderSize + idxFanoutSize
	min := tables + n*(20+4+4) + 2*20
	if len(data) < min {
		return nil, bad(fmt.Sprintf("%d objects need %d bytes, the file has %d", n, min, len(data)))
	}
	large := data[tables+n*28 : len(data)-40]
	if len(large)%8 != 0 {
		return nil, bad("the table of large offsets is not a whole number of entries")
	}
	idx := &packIndex{
		path:    path,
		data:    data,
		count:   n,
		names:   data[tables : tables+n*20],
		offsets: data[tables+n*24 : tables+n*28],
		large:   large,
	}
	copy(idx.packSum[:], data[len(data)-40:])
	return idx, nil
}

// fanout returns the number of objects whose name's first byte is at most
// b.
func (x *packIndex) fanout(b int) int {
	if b < 0 {
		return 0
	}
	return int(binary.BigEndian.Uint32(x.data[idxHeaderSize+b*4:]))
}

// find returns the offset of object h in the pack, or false.
func (x *packIndex) find(h plumbing.Hash) (int64, bool, error) {
	lo, hi := x.fanout(int(h[0])-1), x.fanout(int(h[0]))
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(x.names[mid*20:mid*20+20], h[:]); {
		case c == 0:
			off, err := x.offset(mid)
			return off, err == nil, err
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false, nil
}

// offset returns the pack offset of the i-th object in name order.
func (x *packIndex) offset(i int) (int64, error) {
	o := binary.BigEndian.Uint32(x.offsets[i*4:])
	if o&idxLargeOffset == 0 {
		return int64(o), nil
	}
	j := int(o &^ idxLargeOffset)
	if (j+1)*8 > len(x.large) {
		return 0, fmt.Errorf("%w: %s: large offset %d past the table", idxfile.ErrMalformedIdxFile, filepath.Base(x.path), j)
	}
	return int64(binary.BigEndian.Uint64(x.large[j*8:])), nil
}

func (x *packIndex) close() error {
	if x.unmap == nil {
		return nil
	}
	err := x.unmap()
	x.unmap, x.data, x.names, x.offsets, x.large = nil, nil, nil, nil, nil
	return err
}
