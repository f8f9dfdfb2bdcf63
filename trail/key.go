package trail

import (
	"math/rand/v2"
	"strings"
	"time"
)

// Kinds of delivered files, which differ in the key's directory.
const (
	dirLogs     = "CloudTrail"
	dirInsights = "CloudTrail-Insight"
)

// uniqueLen is the length of the random part of a log file's name.
const uniqueLen = 16

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// uniqueID returns 16 random alphanumeric characters, as CloudTrail puts at
// the end of a log file's name. math/rand/v2's global source is seeded
// randomly for each process, so two processes delivering the same trail's
// files to one bucket in the same minute collide with probability about
// 62^-16 per pair of files.
func uniqueID() string {
	var b [uniqueLen]byte
	for i := range b {
		b[i] = alnum[rand.IntN(len(alnum))]
	}
	return string(b[:])
}

// logKey returns a log file's object key:
//
//	[prefix/]AWSLogs/[orgID/]account/CloudTrail/region/YYYY/MM/DD/account_CloudTrail_region_YYYYMMDDTHHmmZ_unique.json.gz
//
// with CloudTrail-Insight for Insights files. at is the delivery time.
func logKey(prefix, orgID, account, region, dir string, at time.Time, unique string) string {
	at = at.UTC()
	var b strings.Builder
	b.Grow(len(prefix) + len(orgID) + 2*len(account) + 2*len(region) + 2*len(dir) + 64)
	if prefix != "" {
		b.WriteString(prefix)
		b.WriteByte('/')
	}
	b.WriteString("AWSLogs/")
	if orgID != "" {
		b.WriteString(orgID)
		b.WriteByte('/')
	}
	b.WriteString(account)
	b.WriteByte('/')
	b.WriteString(dir)
	b.WriteByte('/')
	b.WriteString(region)
	b.WriteByte('/')
	var buf [32]byte
	b.Write(at.AppendFormat(buf[:0], "2006/01/02/"))
	b.WriteString(account)
	b.WriteByte('_')
	b.WriteString(dir)
	b.WriteByte('_')
	b.WriteString(region)
	b.WriteByte('_')
	b.Write(at.AppendFormat(buf[:0], "20060102T1504Z_"))
	b.WriteString(unique)
	b.WriteString(".json.gz")
	return b.String()
}
