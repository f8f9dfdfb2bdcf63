package detect

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/trailkit/trailkit/event"
)

// del removes a member in a test record.
type delMarker struct{}

var del = delMarker{}

// ctRecord builds a CloudTrail record: a plain IAM user's DescribeInstances
// call, with the dotted paths of set changed (del removes one).
func ctRecord(t testing.TB, set map[string]any) []byte {
	t.Helper()
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAEXAMPLEPRINCIPAL", "arn": "arn:aws:iam::123456789012:user/alice",
			"accountId": "123456789012", "accessKeyId": "AKIAEXAMPLEKEY", "userName": "alice",
		},
		"eventTime":          "2026-01-02T03:04:05Z",
		"eventSource":        "ec2.amazonaws.com",
		"eventName":          "DescribeInstances",
		"awsRegion":          "us-east-1",
		"sourceIPAddress":    "198.51.100.7",
		"userAgent":          "aws-cli/2.15.0 Python/3.11",
		"requestParameters":  nil,
		"responseElements":   nil,
		"requestID":          "5e7b1f9c-0d2a-4c1e-9b7a-1f2e3d4c5b6a",
		"eventID":            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": "123456789012",
		"eventCategory":      "Management",
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts := strings.Split(k, ".")
		m := rec
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		if set[k] == del {
			delete(m, parts[len(parts)-1])
		} else {
			m[parts[len(parts)-1]] = set[k]
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fields = map[string]any

// sigmaCases has, for each SigmaHQ CloudTrail rule kept in testdata, a
// record the rule must match and a near miss it must not: the near miss
// differs from the match in one thing the rule tests.
var sigmaCases = map[string]struct{ match, miss fields }{
	"aws_cloudtrail_bedrock_guardrail_deleted.yml": {
		fields{"eventSource": "bedrock.amazonaws.com", "eventName": "DeleteGuardrail"},
		fields{"eventSource": "bedrock.amazonaws.com", "eventName": "GetGuardrail"}},
	"aws_cloudtrail_bedrock_guardrail_updated.yml": {
		fields{"eventSource": "bedrock.amazonaws.com", "eventName": "UpdateGuardrail"},
		fields{"eventSource": "bedrockagent.amazonaws.com", "eventName": "UpdateGuardrail"}},
	"aws_cloudtrail_bucket_deleted.yml": {
		fields{"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket"},
		fields{"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket", "errorCode": "AccessDenied"}},
	"aws_cloudtrail_console_login_failed_authentication.yml": {
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "errorMessage": "Failed authentication"},
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "responseElements": fields{"ConsoleLogin": "Success"}}},
	"aws_cloudtrail_console_login_success_without_mfa.yml": {
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "additionalEventData": fields{"MFAUsed": "No"}, "responseElements": fields{"ConsoleLogin": "Success"}},
		fields{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "additionalEventData": fields{"MFAUsed": "Yes"}, "responseElements": fields{"ConsoleLogin": "Success"}}},
	"aws_cloudtrail_disable_logging.yml": {
		fields{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"},
		fields{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StartLogging"}},
	"aws_cloudtrail_guardduty_detector_deleted_or_updated.yml": {
		fields{"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector", "requestParameters": fields{"detectorId": "d1", "enable": false}},
		fields{"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector", "requestParameters": fields{"detectorId": "d1", "enable": true}}},
	"aws_cloudtrail_imds_malicious_usage.yml": {
		fields{"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "userIdentity.type": "AssumedRole", "userIdentity.arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"},
		fields{"eventSource": "ssm.amazonaws.com", "eventName": "ListBuckets", "userIdentity.type": "AssumedRole", "userIdentity.arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"}},
	"aws_cloudtrail_new_acl_entries.yml": {
		fields{"eventName": "CreateNetworkAclEntry"},
		fields{"eventName": "DeleteNetworkAclEntry"}},
	"aws_cloudtrail_new_route_added.yml": {
		fields{"eventName": "CreateRoute"},
		fields{"eventName": "CreateRoute", "eventSource": "ec2messages.amazonaws.com"}},
	"aws_cloudtrail_pua_trufflehog.yml": {
		fields{"userAgent": "trufflehog"},
		fields{"userAgent": "TruffleHog/3.63"}},
	"aws_cloudtrail_region_enabled.yml": {
		fields{"eventSource": "account.amazonaws.com", "eventName": "EnableRegion"},
		fields{"eventSource": "account.amazonaws.com", "eventName": "DisableRegion"}},
	"aws_cloudtrail_security_group_change_ingress_egress.yml": {
		fields{"eventName": "AuthorizeSecurityGroupIngress"},
		fields{"eventName": "DescribeSecurityGroups"}},
	"aws_cloudtrail_security_group_change_loadbalancer.yml": {
		fields{"eventSource": "elasticloadbalancing.amazonaws.com", "eventName": "SetSecurityGroups"},
		fields{"eventSource": "elasticloadbalancing.amazonaws.com", "eventName": "SetSubnets"}},
	"aws_cloudtrail_security_group_change_rds.yml": {
		fields{"eventSource": "rds.amazonaws.com", "eventName": "CreateDBSecurityGroup"},
		fields{"eventSource": "ec2.amazonaws.com", "eventName": "CreateDBSecurityGroup"}},
	"aws_cloudtrail_ssm_malicious_usage.yml": {
		fields{"eventSource": "ssm.amazonaws.com", "eventName": "SendCommand", "errorCode": "Success"},
		fields{"eventSource": "ssm.amazonaws.com", "eventName": "SendCommand", "errorCode": "ThrottlingException"}},
	"aws_cloudtrail_vpc_flow_logs_deleted.yml": {
		fields{"eventName": "DeleteFlowLogs", "errorCode": nil},
		fields{"eventName": "DeleteFlowLogs", "errorCode": "Client.UnauthorizedOperation"}},
	"aws_config_disable_recording.yml": {
		fields{"eventSource": "config.amazonaws.com", "eventName": "StopConfigurationRecorder"},
		fields{"eventSource": "config.amazonaws.com", "eventName": "StartConfigurationRecorder"}},
	"aws_console_getsignintoken.yml": {
		fields{"eventSource": "signin.amazonaws.com", "eventName": "GetSigninToken", "userAgent": "python-requests/2.31"},
		fields{"eventSource": "signin.amazonaws.com", "eventName": "GetSigninToken", "userAgent": "Jersey/${project.version} (HttpUrlConnection 1.8.0_392)"}},
	"aws_delete_identity.yml": {
		fields{"eventSource": "ses.amazonaws.com", "eventName": "DeleteIdentity"},
		fields{"eventSource": "ses.amazonaws.com", "eventName": "VerifyEmailIdentity"}},
	"aws_delete_saml_provider.yml": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "DeleteSAMLProvider", "status": "success"},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "DeleteSAMLProvider"}},
	"aws_disable_bucket_versioning.yml": {
		fields{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning", "requestParameters": fields{"bucketName": "b", "VersioningConfiguration": fields{"Status": "Suspended"}}},
		fields{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning", "requestParameters": fields{"bucketName": "b", "VersioningConfiguration": fields{"Status": "Enabled"}}}},
	"aws_ec2_disable_encryption.yml": {
		fields{"eventName": "DisableEbsEncryptionByDefault"},
		fields{"eventName": "EnableEbsEncryptionByDefault"}},
	"aws_ec2_import_key_pair_activity.yml": {
		fields{"eventName": "ImportKeyPair"},
		fields{"eventName": "CreateKeyPair"}},
	"aws_ec2_startup_script_change.yml": {
		fields{"eventName": "ModifyInstanceAttribute", "requestParameters": fields{"instanceId": "i-1", "attribute": "userData"}},
		fields{"eventName": "ModifyInstanceAttribute", "requestParameters": fields{"instanceId": "i-1", "attribute": "instanceType"}}},
	"aws_ec2_vm_export_failure.yml": {
		fields{"eventName": "CreateInstanceExportTask", "responseElements": fields{"exportTask": fields{"state": "active"}}},
		fields{"eventName": "CreateInstanceExportTask", "errorCode": "InvalidParameter"}},
	"aws_ecs_task_definition_cred_endpoint_query.yml": {
		fields{"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition", "requestParameters": fields{"containerDefinitions": []any{fields{"name": "c", "command": []any{"sh", "-c", "curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}}}}},
		fields{"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition", "requestParameters": fields{"containerDefinitions": []any{fields{"name": "c", "command": []any{"sh", "-c", "echo ok"}}}}}},
	"aws_efs_fileshare_modified_or_deleted.yml": {
		fields{"eventSource": "elasticfilesystem.amazonaws.com", "eventName": "DeleteFileSystem"},
		fields{"eventSource": "elasticfilesystem.amazonaws.com", "eventName": "CreateFileSystem"}},
	"aws_efs_fileshare_mount_modified_or_deleted.yml": {
		fields{"eventSource": "elasticfilesystem.amazonaws.com", "eventName": "DeleteMountTarget"},
		fields{"eventSource": "elasticfilesystem.amazonaws.com", "eventName": "CreateMountTarget"}},
	"aws_eks_cluster_created_or_deleted.yml": {
		fields{"eventSource": "eks.amazonaws.com", "eventName": "CreateCluster"},
		fields{"eventSource": "eks.amazonaws.com", "eventName": "DescribeCluster"}},
	"aws_elasticache_security_group_created.yml": {
		fields{"eventSource": "elasticache.amazonaws.com", "eventName": "CreateCacheSecurityGroup"},
		fields{"eventSource": "elasticache.amazonaws.com", "eventName": "CreateCacheCluster"}},
	"aws_elasticache_security_group_modified_or_deleted.yml": {
		fields{"eventSource": "elasticache.amazonaws.com", "eventName": "RevokeCacheSecurityGroupIngress"},
		fields{"eventSource": "elasticache.amazonaws.com", "eventName": "DescribeCacheSecurityGroups"}},
	"aws_enum_buckets.yml": {
		fields{"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets"},
		fields{"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "userIdentity.type": "AssumedRole"}},
	"aws_guardduty_disruption.yml": {
		fields{"eventSource": "guardduty.amazonaws.com", "eventName": "CreateIPSet"},
		fields{"eventSource": "guardduty.amazonaws.com", "eventName": "ListIPSets"}},
	// The rule's filter compares userIdentity.arn with the literal text
	// "responseElements.accessKey.userName" (contains, not fieldref), so
	// only an ARN holding that text is filtered out.
	"aws_iam_backdoor_users_keys.yml": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "responseElements": fields{"accessKey": fields{"userName": "bob"}}},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "userIdentity.arn": "arn:aws:iam::123456789012:user/responseElements.accessKey.userName"}},
	"aws_iam_s3browser_loginprofile_creation.yml": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "CreateLoginProfile", "userAgent": "S3 Browser 11.5.7 https://s3browser.com"},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "CreateLoginProfile", "userAgent": "aws-cli/2.15.0"}},
	"aws_iam_s3browser_templated_s3_bucket_policy_creation.yml": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy", "userAgent": "S3 Browser 11.5.7 https://s3browser.com",
			"requestParameters": fields{"userName": "u", "policyName": "p", "policyDocument": `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::<YOUR-BUCKET-NAME>/*"]}]}`}},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy", "userAgent": "S3 Browser 11.5.7 https://s3browser.com",
			"requestParameters": fields{"userName": "u", "policyName": "p", "policyDocument": `{"Statement":[{"Effect":"Deny","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::<YOUR-BUCKET-NAME>/*"]}]}`}}},
	"aws_iam_s3browser_user_or_accesskey_creation.yml": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "userAgent": "S3 Browser 11.5.7 https://s3browser.com"},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "DeleteUser", "userAgent": "S3 Browser 11.5.7 https://s3browser.com"}},
	"aws_kms_import_key_material.yml": {
		fields{"eventSource": "kms.amazonaws.com", "eventName": "ImportKeyMaterial"},
		fields{"eventSource": "kms.amazonaws.com", "eventName": "GetParametersForImport"}},
	"aws_lambda_function_url.yml": {
		fields{"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunctionUrlConfig"},
		fields{"eventSource": "lambda.amazonaws.com", "eventName": "GetFunctionUrlConfig"}},
	"aws_new_lambda_layer_attached.yml": {
		fields{"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration20150331v2", "requestParameters": fields{"functionName": "f", "layers": []any{"arn:aws:lambda:us-east-1:123456789012:layer:l:1"}}},
		fields{"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration20150331v2", "requestParameters": fields{"functionName": "f", "timeout": 30}}},
	"aws_passed_role_to_glue_development_endpoint.yml": {
		fields{"eventSource": "glue.amazonaws.com", "eventName": "CreateDevEndpoint"},
		fields{"eventSource": "glue.amazonaws.com", "eventName": "GetDevEndpoint"}},
	"aws_rds_change_master_password.yml": {
		fields{"eventSource": "rds.amazonaws.com", "eventName": "ModifyDBInstance", "responseElements": fields{"pendingModifiedValues": fields{"masterUserPassword": "****"}}},
		fields{"eventSource": "rds.amazonaws.com", "eventName": "ModifyDBInstance", "responseElements": fields{"pendingModifiedValues": fields{"allocatedStorage": 100}}}},
	"aws_rds_dbcluster_actions.yml": {
		fields{"eventSource": "rds.amazonaws.com", "eventName": "DeleteDBCluster"},
		fields{"eventSource": "rds.amazonaws.com", "eventName": "DescribeDBClusters"}},
	"aws_rds_public_db_restore.yml": {
		fields{"eventSource": "rds.amazonaws.com", "eventName": "RestoreDBInstanceFromDBSnapshot", "responseElements": fields{"publiclyAccessible": true}},
		fields{"eventSource": "rds.amazonaws.com", "eventName": "RestoreDBInstanceFromDBSnapshot", "responseElements": fields{"publiclyAccessible": false}}},
	"aws_root_account_usage.yml": {
		fields{"userIdentity.type": "Root", "userIdentity.arn": "arn:aws:iam::123456789012:root"},
		fields{"userIdentity.type": "Root", "eventType": "AwsServiceEvent"}},
	"aws_route_53_domain_transferred_lock_disabled.yml": {
		fields{"eventSource": "route53.amazonaws.com", "eventName": "DisableDomainTransferLock"},
		fields{"eventSource": "route53.amazonaws.com", "eventName": "EnableDomainTransferLock"}},
	"aws_route_53_domain_transferred_to_another_account.yml": {
		fields{"eventSource": "route53.amazonaws.com", "eventName": "TransferDomainToAnotherAwsAccount"},
		fields{"eventSource": "route53.amazonaws.com", "eventName": "TransferDomain"}},
	"aws_s3_data_management_tampering.yml": {
		fields{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketLogging"},
		fields{"eventSource": "s3.amazonaws.com", "eventName": "GetBucketLogging"}},
	"aws_securityhub_finding_evasion.yml": {
		fields{"eventSource": "securityhub.amazonaws.com", "eventName": "BatchUpdateFindings"},
		fields{"eventSource": "securityhub.amazonaws.com", "eventName": "GetFindings"}},
	"aws_snapshot_backup_exfiltration.yml": {
		fields{"eventName": "ModifySnapshotAttribute"},
		fields{"eventName": "DescribeSnapshotAttribute"}},
	"aws_sso_idp_change.yml": {
		fields{"eventSource": "sso-directory.amazonaws.com", "eventName": "DisableExternalIdPConfigurationForDirectory"},
		fields{"eventSource": "sso-directory.amazonaws.com", "eventName": "DescribeDirectory"}},
	"aws_sts_assumerole_misuse.yml": {
		fields{"userIdentity.type": "AssumedRole", "userIdentity.sessionContext.sessionIssuer.type": "Role"},
		fields{"userIdentity.type": "AssumedRole", "userIdentity.sessionContext.sessionIssuer.type": "Root"}},
	"aws_sts_getcalleridentity_trufflehog.yml": {
		fields{"eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "userAgent": "TruffleHog v3.63 (Go)"},
		fields{"eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "userAgent": "aws-cli/2.15.0"}},
	"aws_sts_getsessiontoken_misuse.yml": {
		fields{"eventSource": "sts.amazonaws.com", "eventName": "GetSessionToken"},
		fields{"eventSource": "sts.amazonaws.com", "eventName": "GetSessionToken", "userIdentity.type": "Root"}},
	"aws_susp_saml_activity.yml": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "UpdateSAMLProvider"},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "AssumeRoleWithSAML"}},
	"aws_update_login_profile.yml": {
		fields{"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile", "requestParameters": fields{"userName": "bob"}},
		fields{"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile", "userIdentity.arn": "bob", "requestParameters": fields{"userName": "Bob"}}},
}

func loadTestSigma(t testing.TB) map[string]*Rule {
	t.Helper()
	rules, err := LoadSigma(filepath.Join("testdata", "sigma"))
	if err != nil {
		t.Fatalf("SigmaHQ's CloudTrail rules: %v", err)
	}
	byFile := map[string]*Rule{}
	for _, r := range rules {
		byFile[filepath.Base(r.File)] = r
	}
	return byFile
}

// TestSigmaHQRules loads every rule of SigmaHQ's rules/cloud/aws/cloudtrail
// and checks each on its matching record and near miss, both as JSON text
// and as a decoded record, alone and in a Set of all the rules.
func TestSigmaHQRules(t *testing.T) {
	byFile := loadTestSigma(t)
	files, err := filepath.Glob(filepath.Join("testdata", "sigma", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(byFile) || len(files) != len(sigmaCases) {
		t.Fatalf("%d rule files, %d rules loaded, %d test cases: every rule must load and have a case", len(files), len(byFile), len(sigmaCases))
	}
	var all []*Rule
	for _, r := range byFile {
		all = append(all, r)
	}
	set := NewSet(all...)
	for file, tc := range sigmaCases {
		r := byFile[file]
		if r == nil {
			t.Errorf("%s: no rule loaded", file)
			continue
		}
		checkCase(t, set, r, file, tc.match, tc.miss)
	}
}

// checkCase checks that rule r matches the record made of match and not
// the one made of miss: alone and in set, as JSON text (located by the
// Scanner or not) and decoded.
func checkCase(t *testing.T, set *Set, r *Rule, name string, match, miss fields) {
	t.Helper()
	for _, c := range []struct {
		name string
		set  fields
		want bool
	}{{"match", match, true}, {"near miss", miss, false}} {
		b := ctRecord(t, c.set)
		var rec event.Record
		if err := event.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		inSet, inSetJSON, inSetScanned, inSetNested := false, false, false, false
		set.Match(&rec, func(m *Rule) { inSet = inSet || m == r })
		set.MatchJSON(b, func(f JSONFinding) { inSetJSON = inSetJSON || f.Rule == r })
		sc := event.NewScanner(bytes.NewReader(append(append([]byte(`{"Records":[`), b...), "]}"...)))
		sc.IndexNested = []string{"userIdentity", "requestParameters"}
		if !sc.Scan() || sc.Members() == nil {
			t.Fatalf("%s: scanning %s: %v, members %v", name, b, sc.Err(), sc.Members())
		}
		nested, objects := sc.Nested()
		if objects == nil {
			t.Fatalf("%s: scanning %s: no nested objects located", name, b)
		}
		set.MatchScanned(sc.Bytes(), sc.Members(), func(f JSONFinding) { inSetScanned = inSetScanned || f.Rule == r })
		set.MatchNested(sc.Bytes(), sc.Members(), nested, objects, func(f JSONFinding) { inSetNested = inSetNested || f.Rule == r })
		sc.Close()
		got := []bool{r.MatchJSON(b), r.Match(&rec), inSetJSON, inSet, inSetScanned, inSetNested}
		if !slices.Equal(got, []bool{c.want, c.want, c.want, c.want, c.want, c.want}) {
			t.Errorf("%s: %s: MatchJSON, Match, Set.MatchJSON, Set.Match, Set.MatchScanned, Set.MatchNested = %v on %s", name, c.name, got, b)
		}
	}
}

func TestSigmaMetadata(t *testing.T) {
	r := loadTestSigma(t)["aws_root_account_usage.yml"]
	if r.ID != "8ad1600d-e9dc-4251-b0ee-a65268f29add" || r.Title != "AWS Root Credentials" || r.Level != "medium" ||
		r.Source != SourceSigma || !strings.Contains(r.Author, "vitaliy0x1") {
		t.Errorf("metadata: %+v", r)
	}
}

func TestSigmaBadRules(t *testing.T) {
	head := "title: t\nid: r1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n"
	tests := []struct {
		name, yaml, want string
		unsupported      bool
	}{
		{"aggregation", head + "  sel:\n    eventName: X\n  condition: sel | count() > 5\n", "f.yml:9:14: rule \"r1\": condition \"sel | count() > 5\": aggregations", true},
		{"near", head + "  a:\n    eventName: X\n  b:\n    eventName: Y\n  condition: a near b\n", "condition \"a near b\": near is not supported", true},
		{"correlation", "title: c\nid: r2\ncorrelation:\n  type: event_count\n", "f.yml:4:3: rule \"r2\": correlation rules are not supported", true},
		{"timeframe", head + "  sel:\n    eventName: X\n  timeframe: 5m\n  condition: sel\n", "f.yml:9:3: rule \"r1\": timeframe", true},
		{"unknown modifier", head + "  sel:\n    eventName|sounds_like: X\n  condition: sel\n", "f.yml:8:5: rule \"r1\": unknown modifier \"sounds_like\"", true},
		{"expand", head + "  sel:\n    eventName|expand: '%names%'\n  condition: sel\n", "modifier \"expand\" needs placeholder values", true},
		{"undefined identifier", head + "  sel:\n    eventName: X\n  condition: sel and other\n", "f.yml:9:14: rule \"r1\": condition \"sel and other\": unknown search identifier \"other\"", false},
		{"no match for 1 of", head + "  sel:\n    eventName: X\n  condition: 1 of filter_*\n", "\"filter_*\" matches no search identifier", false},
		{"unbalanced", head + "  sel:\n    eventName: X\n  condition: (sel\n", "expected ')'", false},
		{"no condition", head + "  sel:\n    eventName: X\n", "f.yml:7:3: rule \"r1\": expected a condition", false},
		{"logsource", "title: t\nid: r3\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n  condition: sel\n", "f.yml:4:3: rule \"r3\": logsource: expected product: aws", false},
		{"bad regexp", head + "  sel:\n    eventName|re: '(?<=a)b'\n  condition: sel\n", "f.yml:8:19: rule \"r1\": modifier re: the expression is not one Go's regexp (RE2) accepts", false},
		{"bad cidr", head + "  sel:\n    sourceIPAddress|cidr: 10.0.0/8\n  condition: sel\n", "cidr expects a network", false},
		{"bad yaml", "title: [\n", "f.yml:1: invalid YAML: line 1: did not find expected node content", false},
		{"nested value", head + "  sel:\n    eventName:\n      a: b\n  condition: sel\n", "f.yml:9:7: rule \"r1\": expected a value or a list of values", false},
	}
	for _, tc := range tests {
		_, err := ParseSigma("f.yml", []byte(tc.yaml))
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an *Error containing %q", tc.name, err, tc.want)
			continue
		}
		if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
			t.Errorf("%s: errors.Is(err, ErrUnsupported) = %v", tc.name, got)
		}
	}
}

// TestLoadSigmaReportsEveryBadRule: a directory with two bad rules and a
// good one reports both bad ones and returns the good one.
func TestLoadSigmaReportsEveryBadRule(t *testing.T) {
	dir := t.TempDir()
	good := "title: g\nid: good\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n"
	for name, body := range map[string]string{
		"good.yml":     good,
		"bad1.yml":     strings.Replace(good, "condition: sel", "condition: sel | count() > 1", 1),
		"sub/bad2.yml": strings.Replace(good, "eventName:", "eventName|nope:", 1),
		"notes.txt":    "not a rule",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := LoadSigma(dir)
	if len(rules) != 1 || rules[0].ID != "good" {
		t.Errorf("rules: %v", rules)
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{filepath.Join(dir, "bad1.yml") + ":9:14", filepath.Join(dir, "sub", "bad2.yml") + ":8:5: rule \"good\": unknown modifier \"nope\""} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
}
