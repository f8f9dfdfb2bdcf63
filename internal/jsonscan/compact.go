package jsonscan

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"
)

// CompactObjectMembers is SkipObjectMembers for an object written without
// whitespace between its tokens, as CloudTrail writes its records: one
// loop with its own stack of open arrays and objects, where the general
// parser calls a function per token and looks for whitespace before each.
// On the 20,000 records of the generated benchmark trail it takes 223M
// instructions where SkipObjectMembers takes 440M.
//
// It reports false, with ms as it was and Pos where it stopped, at
// whitespace between tokens, at anything SkipObjectMembers rejects (the
// end of Buf inside the object too), and at nesting deeper than MaxDepth:
// the caller then reads the object from its start with SkipObjectMembers,
// which accepts the whitespace or says what is wrong where. What it
// accepts, SkipObjectMembers accepts alike, with the same members and
// end (FuzzValid checks both ways).
func (p *Parser) CompactObjectMembers(ms []Member) ([]Member, bool) {
	b, pos := p.Buf, p.Pos
	if len(b) > math.MaxInt32 || pos >= len(b) || b[pos] != '{' || p.Depth >= MaxDepth {
		return ms, false
	}
	// Go keeps no register across a call, and the loop's registers are
	// few: it calls nothing on its common paths (it scans strings eight
	// bytes at a time itself), and keeps what it seldom needs in st.
	st := compactState{ms: ms, n: len(ms)}
	base := unsafe.Pointer(unsafe.SliceData(b))
	i, d, atKey, inArray := pos+1, 1, true, false
	if i < len(b) && b[i] == '}' {
		p.Pos = i + 1
		return ms, true
	}
	for {
		if uint(i) >= uint(len(b)) {
			return p.compactFail(&st, i)
		}
		c := b[i]
		switch {
		case c == '"':
			j, esc := i+1, false
			for {
				if j+8 <= len(b) {
					// b[j:j+8], without slicing b again.
					w := (*[8]byte)(unsafe.Add(base, j))
					m := stopWord(binary.LittleEndian.Uint64(w[:]))
					if m == 0 {
						j += 8
						continue
					}
					j += bits.TrailingZeros64(m) >> 3
					if *(*byte)(unsafe.Add(base, j)) == '"' {
						j++
						break
					}
				}
				// Escapes, non-ASCII, the last bytes of b.
				end, e, err := p.scanString(j)
				if err != nil {
					return p.compactFail(&st, p.Pos)
				}
				j, esc = end, e
				break
			}
			if atKey {
				if uint(j) >= uint(len(b)) || b[j] != ':' {
					return p.compactFail(&st, j)
				}
				if d == 1 {
					st.m = Member{Key: int32(i), KeyEnd: int32(j), Value: int32(j + 1), Escaped: esc}
				}
				i, atKey = j+1, false
				continue
			}
			i = j
		case atKey:
			return p.compactFail(&st, i)
		case c == '{' || c == '[':
			if d++; d > MaxDepth-p.Depth {
				return p.compactFail(&st, i)
			}
			inArray = c == '['
			st.setArray(d, inArray)
			i++
			if i < len(b) && b[i] == c+2 { // '}' or ']': empty
				i, d, inArray = i+1, d-1, st.array(d-1)
				break
			}
			atKey = !inArray
			continue
		case c == 't':
			if len(b)-i < 4 || string(b[i:i+4]) != "true" {
				return p.compactFail(&st, i)
			}
			i += 4
		case c == 'f':
			if len(b)-i < 5 || string(b[i:i+5]) != "false" {
				return p.compactFail(&st, i)
			}
			i += 5
		case c == 'n':
			if len(b)-i < 4 || string(b[i:i+4]) != "null" {
				return p.compactFail(&st, i)
			}
			i += 4
		case c == '-' || '0' <= c && c <= '9':
			// An integer without a sign here (the sizes and counts of
			// records); anything else by Number.
			j := i + 1
			for c != '0' && c != '-' && j < len(b) && '0' <= b[j] && b[j] <= '9' {
				j++
			}
			if c == '-' || j < len(b) && (b[j] == '.' || b[j]|0x20 == 'e') {
				p.Pos = i
				if _, err := p.Number(); err != nil {
					return p.compactFail(&st, p.Pos)
				}
				j = p.Pos
			}
			i = j
		default:
			return p.compactFail(&st, i)
		}
		// After a value: the ends of the containers it closes, then ','.
		for {
			if d == 1 {
				st.m.End = int32(i)
				st.ms = append(st.ms, st.m)
			}
			if i >= len(b) {
				return p.compactFail(&st, i)
			}
			c = b[i]
			i++
			if c == ',' {
				atKey = !inArray
				break
			}
			closer := byte('}')
			if inArray {
				closer = ']'
			}
			if c != closer {
				return p.compactFail(&st, i-1)
			}
			if d--; d == 0 {
				p.Pos = i
				return st.ms, true
			}
			inArray = st.array(d)
		}
	}
}

// stopWord is stopBytes in 9 operations rather than 14, for the hot
// loop: the lowest mark is again exact. A byte below it took no borrow,
// so q-ones marks it if it is a quote or 0x81 and above, bs-ones if a
// backslash or 0x81 and above, x-0x20 if a control character or 0xa0
// and above, and x if 0x80 and above: the high bytes that stopBytes'
// &^q and &^bs leave out are non-ASCII, marked by x anyway.
func stopWord(x uint64) uint64 {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return ((q - ones) | (bs - ones) | (x - ones*0x20) | x) & highs
}

// compactState is what CompactObjectMembers seldom needs.
type compactState struct {
	ms     []Member
	n      int                     // len(ms) at the start
	m      Member                  // the top-level member being read
	arrays [MaxDepth/64 + 1]uint64 // bit d: the container at depth d is an array
}

// array reports whether the container at depth d is an array.
func (st *compactState) array(d int) bool { return st.arrays[d>>6]>>(d&63)&1 != 0 }

// setArray records whether the container at depth d is an array.
func (st *compactState) setArray(d int, array bool) {
	bit := uint64(1) << (d & 63)
	if array {
		st.arrays[d>>6] |= bit
	} else {
		st.arrays[d>>6] &^= bit
	}
}

// compactFail is CompactObjectMembers giving up at Buf[at].
func (p *Parser) compactFail(st *compactState, at int) ([]Member, bool) {
	p.Pos = at
	return st.ms[:st.n], false
}
