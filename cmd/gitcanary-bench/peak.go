package main

import (
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// heapObjects is the runtime/metrics sample of the bytes of live and
// unswept heap objects.
const heapObjects = "/memory/classes/heap/objects:bytes"

// watchPeak writes a pprof heap profile to path each time the heap's
// objects grow 10% above the largest size seen so far, checking every 20 ms
// until stop is closed, so that the last profile written shows what was
// live near the peak (as of the collection before it). The profile's
// inuse_space is the live heap; alloc_space what allocated it.
func watchPeak(path string, stop <-chan struct{}) {
	s := []metrics.Sample{{Name: heapObjects}}
	var peak uint64
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > peak+peak/10 {
			peak = v
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}
