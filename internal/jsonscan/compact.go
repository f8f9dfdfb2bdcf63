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
// On the records of the generated benchmark trail it takes 44% fewer
// instructions.
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
		if i >= len(b) {
			return p.compactFail(&st, i)
		}
		c := b[i]
		switch {
		case c == '"':
			j := i + 1
			for ; j+8 <= len(b); j += 8 {
				// b[j:j+8], without slicing b again: j+8 <= len(b).
				w := (*[8]byte)(unsafe.Add(base, j))
				if m := stopBytes(binary.LittleEndian.Uint64(w[:])); m != 0 {
					j += bits.TrailingZeros64(m) >> 3
					break
				}
			}
			esc := false
			if j >= len(b) || b[j] != '"' {
				end, e, err := p.scanString(j) // escapes, UTF-8, the last bytes
				if err != nil {
					return p.compactFail(&st, p.Pos)
				}
				j, esc = end-1, e
			}
			j++
			if atKey {
				if j >= len(b) || b[j] != ':' {
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
			st.arrays[d] = inArray
			i++
			if i < len(b) && b[i] == c+2 { // '}' or ']': empty
				i, d, inArray = i+1, d-1, st.arrays[d-1]
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
			p.Pos = i
			if _, err := p.Number(); err != nil {
				return p.compactFail(&st, p.Pos)
			}
			i = p.Pos
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
			inArray = st.arrays[d]
		}
	}
}

// compactState is what CompactObjectMembers seldom needs.
type compactState struct {
	ms     []Member
	n      int                // len(ms) at the start
	m      Member             // the top-level member being read
	arrays [MaxDepth + 1]bool // arrays[d]: the container at depth d is an array
}

// compactFail is CompactObjectMembers giving up at Buf[at].
func (p *Parser) compactFail(st *compactState, at int) ([]Member, bool) {
	p.Pos = at
	return st.ms[:st.n], false
}
