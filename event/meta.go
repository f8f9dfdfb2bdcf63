package event

// objectMeta is what decoding learns about a JSON object beyond its values:
// the order its members came in and which string fields were present though
// empty. The zero value means "canonical order, nothing empty present", which
// is what records built in Go have, so they pay nothing for it.
type objectMeta struct {
	// order lists the members in the order they were read: a value below
	// extraBase is the index of a known field, extraBase+i is Extra[i].
	// nil means canonical order followed by Extra.
	order []uint32
	// empty has bit i set when known field i was read as "" (or, for raw
	// fields, was present): such fields are written back although empty.
	empty uint64
}

const extraBase = 1 << 8

// An order entry is a uint32, not a smaller type: an object may hold more
// unknown members than a uint16 could number, and each must keep its place.
