package detect

import "testing"

// cisCases has, for each control, a record the benchmark's filter counts
// and a near miss it does not: records shaped as CloudTrail writes these
// calls, the near miss one change away.
var cisCases = map[string]struct{ match, miss fields }{
	"4.1": {
		fields{"eventName": "GetPasswordData", "errorCode": "Client.UnauthorizedOperation", "errorMessage": "You are not authorized to perform this operation."},
		fields{"eventSource": "s3.amazonaws.com", "eventName": "HeadBucket", "errorCode": "AccessDenied"}},
	"4.2": {
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "additionalEventData": fields{"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "No"}, "responseElements": fields{"ConsoleLogin": "Success"}},
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "additionalEventData": fields{"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "Yes"}, "responseElements": fields{"ConsoleLogin": "Success"}}},
	"4.3": {
		fields{"userIdentity": fields{"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}},
		fields{"userIdentity": fields{"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012", "invokedBy": "support.amazonaws.com"}}},
	"4.4": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "PutRolePolicy", "requestParameters": fields{"roleName": "r", "policyName": "p"}},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "GetRolePolicy", "requestParameters": fields{"roleName": "r", "policyName": "p"}}},
	"4.5": {
		fields{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "requestParameters": fields{"name": "management-events"}},
		fields{"eventSource": "cloudtrail.amazonaws.com", "eventName": "GetTrailStatus", "requestParameters": fields{"name": "management-events"}}},
	"4.6": {
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "errorMessage": "Failed authentication", "responseElements": fields{"ConsoleLogin": "Failure"}},
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "errorMessage": "failed authentication", "responseElements": fields{"ConsoleLogin": "Failure"}}},
	"4.7": {
		fields{"eventSource": "kms.amazonaws.com", "eventName": "ScheduleKeyDeletion", "requestParameters": fields{"keyId": "k", "pendingWindowInDays": 7}},
		fields{"eventSource": "kms.amazonaws.com", "eventName": "CancelKeyDeletion", "requestParameters": fields{"keyId": "k"}}},
	"4.8": {
		fields{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy", "requestParameters": fields{"bucketName": "b"}},
		fields{"eventSource": "s3.amazonaws.com", "eventName": "GetBucketPolicy", "requestParameters": fields{"bucketName": "b"}}},
	"4.9": {
		fields{"eventSource": "config.amazonaws.com", "eventName": "StopConfigurationRecorder"},
		fields{"eventSource": "config.amazonaws.com", "eventName": "StartConfigurationRecorder"}},
	"4.10": {
		fields{"eventName": "AuthorizeSecurityGroupIngress"},
		fields{"eventName": "DescribeSecurityGroups"}},
	"4.11": {
		fields{"eventName": "ReplaceNetworkAclEntry"},
		fields{"eventName": "DescribeNetworkAcls"}},
	"4.12": {
		fields{"eventName": "AttachInternetGateway"},
		fields{"eventName": "DescribeInternetGateways"}},
	"4.13": {
		fields{"eventName": "CreateRoute"},
		fields{"eventSource": "ec2messages.amazonaws.com", "eventName": "CreateRoute"}},
	"4.14": {
		fields{"eventName": "ModifyVpcAttribute"},
		fields{"eventName": "DescribeVpcAttribute"}},
	"4.15": {
		fields{"eventSource": "organizations.amazonaws.com", "eventName": "LeaveOrganization"},
		fields{"eventSource": "organizations.amazonaws.com", "eventName": "DescribeOrganization"}},
}

func TestCIS(t *testing.T) {
	rules := CIS()
	if len(rules) != len(cisCases) {
		t.Fatalf("%d controls, %d cases", len(rules), len(cisCases))
	}
	set := NewSet(rules...)
	for _, r := range rules {
		tc, ok := cisCases[r.ID]
		if !ok {
			t.Errorf("control %s has no case", r.ID)
			continue
		}
		if r.Source != SourceCIS || r.Title == "" || r.Pattern == "" {
			t.Errorf("control %s: %+v", r.ID, r)
		}
		checkCase(t, set, r, "control "+r.ID, tc.match, tc.miss)
	}
}

// TestCISPrecedence pins the published patterns' precedence: && binds
// first, so 4.1 ignores its exclusions for *UnauthorizedOperation, and
// 4.13 checks the eventSource of CreateRoute only.
func TestCISPrecedence(t *testing.T) {
	byID := map[string]*Rule{}
	for _, r := range CIS() {
		byID[r.ID] = r
	}
	tests := []struct {
		id   string
		set  fields
		want bool
	}{
		{"4.1", fields{"eventName": "HeadBucket", "errorCode": "Client.UnauthorizedOperation"}, true},
		{"4.1", fields{"sourceIPAddress": "delivery.logs.amazonaws.com", "errorCode": "AccessDenied"}, false},
		{"4.1", fields{"errorCode": "AccessDeniedException"}, true},
		{"4.13", fields{"eventSource": "other.amazonaws.com", "eventName": "DeleteRoute"}, true},
		{"4.2", fields{"eventName": "ConsoleLogin", "additionalEventData": del}, false},
	}
	for _, tc := range tests {
		if got := byID[tc.id].MatchJSON(ctRecord(t, tc.set)); got != tc.want {
			t.Errorf("%s on %v: %v, want %v", tc.id, tc.set, got, tc.want)
		}
	}
}
