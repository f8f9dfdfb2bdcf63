package selector

import (
	_ "embed"
	"strings"
)

// The lists CloudTrail keeps growing live in text files, so that updating
// them is a data change and callers can add to them without a release.
var (
	//go:embed resource-types.txt
	resourceTypesText string
	//go:embed network-event-sources.txt
	networkEventSourcesText string
)

// Catalog holds the values CloudTrail accepts that change over time: the
// data event resource types of advanced selectors (resources.type) and the
// event sources of network activity events. Start from DefaultCatalog and
// append what CloudTrail added since trailkit's release.
type Catalog struct {
	ResourceTypes       []string
	NetworkEventSources []string
}

// DefaultCatalog returns the lists trailkit ships (the CloudTrail User
// Guide's data event resource types and network activity event sources). The
// slices are fresh copies that the caller may change.
func DefaultCatalog() Catalog {
	return Catalog{
		ResourceTypes:       ParseList(resourceTypesText),
		NetworkEventSources: ParseList(networkEventSourcesText),
	}
}

// ParseList reads a catalog list in the shipped files' format: one value a
// line, surrounding white space trimmed, blank lines and lines starting with
// # ignored. Use it to load additions kept in a file.
func ParseList(text string) []string {
	var list []string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			list = append(list, line)
		}
	}
	return list
}

// catalogSets is a Catalog ready for lookups during validation.
type catalogSets struct {
	resourceTypes       map[string]bool
	networkEventSources map[string]bool
}

func (c *Catalog) sets() catalogSets {
	return catalogSets{resourceTypes: toSet(c.ResourceTypes), networkEventSources: toSet(c.NetworkEventSources)}
}

func toSet(list []string) map[string]bool {
	set := make(map[string]bool, len(list))
	for _, v := range list {
		set[v] = true
	}
	return set
}
