package insight

// apiIndex is an open-addressing hash table of APIs, never changed once
// built: Observe searches it without a lock. It hashes with fingerprint,
// which reads 24 bytes of a string rather than all of them.
type apiIndex struct {
	slots []*api // a power of two, at most half full
	n     int
}

func newAPIIndex(list []*api) *apiIndex {
	size := 8
	for size < 2*len(list) {
		size *= 2
	}
	x := &apiIndex{slots: make([]*api, size), n: len(list)}
	mask := uint64(size - 1)
	for _, a := range list {
		i := a.hash & mask
		for x.slots[i] != nil {
			i = (i + 1) & mask
		}
		x.slots[i] = a
	}
	return x
}

func (x *apiIndex) find(k apiKey, h uint64) *api {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		a := x.slots[i]
		if a == nil {
			return nil
		}
		if a.hash == h && a.key == k {
			return a
		}
	}
}

// all returns the APIs in a new slice.
func (x *apiIndex) all() []*api {
	list := make([]*api, 0, x.n)
	for _, a := range x.slots {
		if a != nil {
			list = append(list, a)
		}
	}
	return list
}

func (k apiKey) hash() uint64 {
	h := (fingerprint(k.name) ^ fingerprint(k.source)>>1 ^ uint64(k.cat)) * 0x9e3779b97f4a7c15
	return h ^ h>>29 // the low bits index the table: fold the well-mixed high ones in
}

// fingerprint is a cheap digest of s that tells most different values
// apart: its length and three 8-byte words, from the start, the middle and
// the end, where ARNs and user agents differ. Equal fingerprints are
// confirmed by comparing the strings, so a collision costs a comparison,
// never a wrong count. It is much cheaper than hashing every byte of a
// long user agent.
func fingerprint(s string) uint64 {
	n := len(s)
	if n < 8 {
		var x uint64
		for i := 0; i < n; i++ {
			x = x<<8 | uint64(s[i])
		}
		return (x ^ uint64(n)<<56) * 0x9e3779b97f4a7c15
	}
	x := load64(s, 0)*0x9e3779b97f4a7c15 ^ load64(s, n/2-4)
	x = x*0xc2b2ae3d27d4eb4f ^ load64(s, n-8)
	return (x ^ uint64(n)) * 0x165667b19e3779f9
}

func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
