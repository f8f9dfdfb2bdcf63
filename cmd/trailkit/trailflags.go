package main

import "github.com/trailkit/trailkit/trail"

// trailFlags name a trail and where its files are: the flags replay and
// seal share.
type trailFlags struct {
	accountID, region, name *string
	dir, s3URL, endpoint    *string
	prefix, bucket, orgID   *string
}

func addTrailFlags(fl *flags) *trailFlags {
	return &trailFlags{
		accountID: fl.String("account-id", "", "the trail's 12-digit account id (records without recipientAccountId are filed under it)"),
		region:    fl.String("region", "", "the trail's home region, such as us-east-1"),
		name:      fl.String("trail-name", "", "the trail's name"),
		dir:       fl.String("dir", "", "the trail's files are in this directory"),
		s3URL:     fl.String("s3", "", "the trail's files are at s3://bucket[/prefix]"),
		endpoint:  fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// URLs, addressed path-style (or AWS_ENDPOINT_URL_S3)"),
		prefix:    fl.String("prefix", "", "S3 key prefix of the trail's keys with --dir (with --s3, the URL's prefix)"),
		bucket:    fl.String("bucket", "", "bucket name digests record with --dir (default: the directory's name)"),
		orgID:     fl.String("organization-id", "", "the trail is an organization trail of this organization (o-...), for every member account"),
	}
}

// check reports a required flag missing, or flags that exclude each other.
func (t *trailFlags) check() error {
	switch {
	case *t.accountID == "" || *t.region == "" || *t.name == "":
		return usagef("--account-id, --region and --trail-name are required")
	case (*t.dir == "") == (*t.s3URL == ""):
		return usagef("give one of --dir and --s3")
	case *t.s3URL != "" && *t.prefix != "":
		return usagef("--prefix is for --dir; with --s3 put the prefix in the URL")
	case *t.s3URL != "" && *t.bucket != "":
		return usagef("--bucket is for --dir; with --s3 the URL names the bucket")
	case *t.bucket != "" && checkBucketName(*t.bucket) != nil:
		return usagef("--bucket: %v", checkBucketName(*t.bucket))
	}
	return nil
}

// config is the trail the flags name.
func (t *trailFlags) config() trail.Config {
	return trail.Config{Name: *t.name, AccountID: *t.accountID, HomeRegion: *t.region, S3KeyPrefix: *t.prefix, OrganizationID: *t.orgID}
}
