package gitops

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// packIndex is a version 2 pack index (a pack's .idx file), searched where
// it lies on disk: in memory are only its fanout table and every
// idxSampleStep-th name (20 bytes per 256 objects: 94 KiB for a pack of 1.2
// million objects). A lookup finds its block of names among the samples,
// reads that block (one pread of 5 KiB), searches it, and reads the
// object's offset (one more). go-git instead decodes whole indexes into
// memory, with maps of every object, which made memory grow with history.
//
// Lookups are not safe for concurrent use (they share one buffer): the
// [objectStore] serializes them.
type packIndex struct {
	path   string
	f      *os.File
	count  int
	fanout [256]uint32
	sample []plumbing.Hash
	// namesAt, offsetsAt and largeAt are where the tables start in the
	// file; large is the number of 64-bit offsets.
	namesAt, offsetsAt, largeAt int64
	large                       int
	packSum                     plumbing.Hash
	block                       []byte  // a block of names, read
	scratch                     [8]byte // an offset, read
}

const (
	idxHeaderSize = 8
	idxFanoutSize = 256 * 4
	idxSampleStep = 256
	// idxLargeOffset flags an offset table entry that is an index into
	// the table of 64-bit offsets.
	idxLargeOffset = 1 << 31
)

var idxMagic = []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}

// openPackIndex opens the index at path, checks its layout and reads its
// fanout table and samples.
func openPackIndex(path string) (*packIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	idx, err := readPackIndex(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return idx, nil
}

func readPackIndex(path string, f *os.File) (*packIndex, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", idxfile.ErrMalformedIdxFile, filepath.Base(path), fmt.Sprintf(format, args...))
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	head := make([]byte, idxHeaderSize+idxFanoutSize)
	if size < int64(len(head))+2*20 {
		return nil, bad("truncated (%d bytes)", size)
	}
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, bad("%v", err)
	}
	if !bytes.Equal(head[:idxHeaderSize], idxMagic) {
		return nil, bad("not a version 2 pack index")
	}
	x := &packIndex{path: path, f: f}
	for i := range x.fanout {
		x.fanout[i] = binary.BigEndian.Uint32(head[idxHeaderSize+i*4:])
		if i > 0 && x.fanout[i] < x.fanout[i-1] {
			return nil, bad("fanout table out of order")
		}
	}
	x.count = int(x.fanout[255])
	n := int64(x.count)
	x.namesAt = int64(len(head))
	x.offsetsAt = x.namesAt + n*24
	x.largeAt = x.namesAt + n*28
	largeBytes := size - 40 - x.largeAt
	if largeBytes < 0 || largeBytes%8 != 0 {
		return nil, bad("%d objects do not fit in %d bytes", n, size)
	}
	x.large = int(largeBytes / 8)
	if _, err := f.ReadAt(x.packSum[:], size-40); err != nil {
		return nil, bad("%v", err)
	}
	x.sample = make([]plumbing.Hash, (x.count+idxSampleStep-1)/idxSampleStep)
	for k := range x.sample {
		if _, err := f.ReadAt(x.sample[k][:], x.namesAt+int64(k*idxSampleStep)*20); err != nil {
			return nil, bad("%v", err)
		}
	}
	x.block = make([]byte, idxSampleStep*20)
	return x, nil
}

// find returns the offset of object h in the pack, or false.
func (x *packIndex) find(h plumbing.Hash) (int64, bool, error) {
	// The last block whose first name is at most h.
	k := sort.Search(len(x.sample), func(k int) bool { return bytes.Compare(x.sample[k][:], h[:]) > 0 }) - 1
	if k < 0 {
		return 0, false, nil
	}
	first := k * idxSampleStep
	n := min(idxSampleStep, x.count-first)
	block := x.block[:n*20]
	if _, err := x.f.ReadAt(block, x.namesAt+int64(first)*20); err != nil {
		return 0, false, fmt.Errorf("%w: %s: %v", idxfile.ErrMalformedIdxFile, filepath.Base(x.path), err)
	}
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(block[mid*20:mid*20+20], h[:]); {
		case c == 0:
			off, err := x.offset(first + mid)
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
	b := x.scratch[:]
	if _, err := x.f.ReadAt(b[:4], x.offsetsAt+int64(i)*4); err != nil {
		return 0, fmt.Errorf("%w: %s: %v", idxfile.ErrMalformedIdxFile, filepath.Base(x.path), err)
	}
	o := binary.BigEndian.Uint32(b[:4])
	if o&idxLargeOffset == 0 {
		return int64(o), nil
	}
	j := int(o &^ idxLargeOffset)
	if j >= x.large {
		return 0, fmt.Errorf("%w: %s: large offset %d past the table", idxfile.ErrMalformedIdxFile, filepath.Base(x.path), j)
	}
	if _, err := x.f.ReadAt(b, x.largeAt+int64(j)*8); err != nil {
		return 0, fmt.Errorf("%w: %s: %v", idxfile.ErrMalformedIdxFile, filepath.Base(x.path), err)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func (x *packIndex) close() error { return x.f.Close() }
