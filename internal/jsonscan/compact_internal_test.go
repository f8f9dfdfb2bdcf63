package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestStopWord: stopWord's lowest mark is the first byte that ends a
// string's plain run (a quote, a backslash, a control character or a
// non-ASCII byte), as stopBytes' is, whatever the bytes around it.
func TestStopWord(t *testing.T) {
	lowest := func(m uint64) int { return bits.TrailingZeros64(m) >> 3 } // 8: none
	want := func(w [8]byte) int {
		for i, c := range w {
			if strClass[c] {
				return i
			}
		}
		return 8
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := []byte{'a', ' ', '~', '"', '\\', 0, 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0x81, 0xa0, 0xff}
	for v := range 256 {
		for at := range 8 {
			for range 64 {
				var w [8]byte
				for i := range w {
					switch {
					case i < at:
						w[i] = byte(0x20 + rng.IntN(0x60)) // plain or not
					case i == at:
						w[i] = byte(v)
					default:
						w[i] = fill[rng.IntN(len(fill))]
					}
				}
				x := binary.LittleEndian.Uint64(w[:])
				if got, old, exp := lowest(stopWord(x)), lowest(stopBytes(x)), want(w); got != exp || old != exp {
					t.Fatalf("%q: stopWord %d, stopBytes %d, want %d", w, got, old, exp)
				}
			}
		}
	}
}
