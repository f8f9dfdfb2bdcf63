package digest

import (
	"strings"
	"time"
)

// stampLayout is the digest end time in a digest key.
const stampLayout = "20060102T150405Z"

const (
	digestSuffix   = ".json.gz"
	backfillSuffix = "_backfill.json.gz"
)

// keyMatcher recognises the digest keys of one chain, as the AWS CLI's
// digest key regular expression does:
// {prefix}\d+/\d+/\d+/{account}_CloudTrail-Digest_{region}_{trail}_{home}_.+\.json\.gz,
// where prefix ends with CloudTrail-Digest/{region}/.
type keyMatcher struct {
	prefix                       string
	account, region, trail, home string
	name                         string // account_CloudTrail-Digest_region_trail_home_
}

// match returns the key's end-time stamp (YYYYMMDDTHHMMSSZ), whether it
// is a backfill digest, and whether the key is one of the chain's digests.
func (m *keyMatcher) match(key string) (stamp string, backfill, ok bool) {
	if !strings.HasPrefix(key, m.prefix) || !strings.HasSuffix(key, digestSuffix) {
		return "", false, false
	}
	rest := key[len(m.prefix):]
	for range 3 { // \d+/
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || rest[i] != '/' {
			return "", false, false
		}
		rest = rest[i+1:]
	}
	if m.name == "" {
		m.name = m.account + "_CloudTrail-Digest_" + m.region + "_" + m.trail + "_" + m.home + "_"
	}
	if !strings.HasPrefix(rest, m.name) || len(rest) <= len(m.name)+len(digestSuffix) {
		return "", false, false
	}
	backfill = strings.HasSuffix(key, backfillSuffix)
	if backfill {
		if len(key) < 33 {
			return "", false, false
		}
		stamp = key[len(key)-33 : len(key)-17]
	} else {
		if len(key) < 24 {
			return "", false, false
		}
		stamp = key[len(key)-24 : len(key)-8]
	}
	if _, err := time.Parse(stampLayout, stamp); err != nil {
		return "", false, false
	}
	return stamp, backfill, true
}
