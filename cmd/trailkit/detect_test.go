package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/testdata"
)

// The corpus tests check detect's findings with an evaluation written
// here, over records decoded by encoding/json: each rule restated as a Go
// predicate with the rule language's semantics, sharing no code with
// package detect.

// jrec is a record decoded with the first of duplicate keys kept, as
// trailkit reads records.
type jrec map[string]any

func decodeFirstWins(t testing.TB, b []byte) jrec {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	require.NoError(t, err)
	m, ok := v.(map[string]any)
	require.True(t, ok)
	return m
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := m[k.(string)]; !dup {
				m[k.(string)] = v
			}
		}
		_, err := dec.Token()
		return m, err
	case json.Delim('['):
		var a []any
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if a == nil {
			a = []any{}
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

// get returns the value at a dotted path, crossing objects only.
func (r jrec) get(path string) (any, bool) {
	var cur any = map[string]any(r)
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// text is a scalar's text: a string's value, a number's or a boolean's
// JSON.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return fmt.Sprint(v), true
	}
	return "", false
}

// CloudWatch: = and != hold only for a string or number.
func (r jrec) cwValue(path string) (string, bool) {
	v, ok := r.get(path)
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

func (r jrec) cwEq(path, pat string) bool {
	s, ok := r.cwValue(path)
	if !ok {
		return false
	}
	switch {
	case strings.HasPrefix(pat, "*"):
		return strings.HasSuffix(s, pat[1:])
	case strings.HasSuffix(pat, "*"):
		return strings.HasPrefix(s, pat[:len(pat)-1])
	}
	return s == pat
}

func (r jrec) cwNe(path, pat string) bool {
	_, ok := r.cwValue(path)
	return ok && !r.cwEq(path, pat)
}

func (r jrec) cwIn(path string, names ...string) bool {
	for _, n := range names {
		if r.cwEq(path, n) {
			return true
		}
	}
	return false
}

// cisExpected restates the benchmark's filters (CIS v3.0.0, section 4).
var cisExpected = map[string]func(r jrec) bool{
	"4.1": func(r jrec) bool {
		return r.cwEq("errorCode", "*UnauthorizedOperation") ||
			r.cwEq("errorCode", "AccessDenied*") && r.cwNe("sourceIPAddress", "delivery.logs.amazonaws.com") && r.cwNe("eventName", "HeadBucket")
	},
	"4.2": func(r jrec) bool {
		return r.cwEq("eventName", "ConsoleLogin") && r.cwNe("additionalEventData.MFAUsed", "Yes")
	},
	"4.3": func(r jrec) bool {
		_, invoked := r.get("userIdentity.invokedBy")
		return r.cwEq("userIdentity.type", "Root") && !invoked && r.cwNe("eventType", "AwsServiceEvent")
	},
	"4.4": func(r jrec) bool {
		return r.cwIn("eventName", "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy",
			"CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
			"AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy")
	},
	"4.5": func(r jrec) bool {
		return r.cwIn("eventName", "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")
	},
	"4.6": func(r jrec) bool {
		return r.cwEq("eventName", "ConsoleLogin") && r.cwEq("errorMessage", "Failed authentication")
	},
	"4.7": func(r jrec) bool {
		return r.cwEq("eventSource", "kms.amazonaws.com") && r.cwIn("eventName", "DisableKey", "ScheduleKeyDeletion")
	},
	"4.8": func(r jrec) bool {
		return r.cwEq("eventSource", "s3.amazonaws.com") && r.cwIn("eventName", "PutBucketAcl", "PutBucketPolicy", "PutBucketCors",
			"PutBucketLifecycle", "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication")
	},
	"4.9": func(r jrec) bool {
		return r.cwEq("eventSource", "config.amazonaws.com") && r.cwIn("eventName", "StopConfigurationRecorder", "DeleteDeliveryChannel",
			"PutDeliveryChannel", "PutConfigurationRecorder")
	},
	"4.10": func(r jrec) bool {
		return r.cwIn("eventName", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
			"RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup")
	},
	"4.11": func(r jrec) bool {
		return r.cwIn("eventName", "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
			"ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation")
	},
	"4.12": func(r jrec) bool {
		return r.cwIn("eventName", "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
			"DeleteInternetGateway", "DetachInternetGateway")
	},
	"4.13": func(r jrec) bool {
		return r.cwEq("eventSource", "ec2.amazonaws.com") && r.cwEq("eventName", "CreateRoute") ||
			r.cwIn("eventName", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable")
	},
	"4.14": func(r jrec) bool {
		return r.cwIn("eventName", "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
			"DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink")
	},
	"4.15": func(r jrec) bool {
		return r.cwEq("eventSource", "organizations.amazonaws.com") && r.cwIn("eventName", "AcceptHandshake", "AttachPolicy", "CreateAccount",
			"CreateOrganizationalUnit", "CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy",
			"DetachPolicy", "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
			"RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit")
	},
}

// Sigma: values compare case-insensitively, null is missing or null.
func (r jrec) is(path string, vals ...string) bool {
	v, ok := r.get(path)
	s, isText := text(v)
	if !ok || !isText {
		return false
	}
	for _, want := range vals {
		if strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}

func (r jrec) null(path string) bool {
	v, ok := r.get(path)
	return !ok || v == nil
}

// has reports whether a field's text (an object's or array's JSON) holds
// sub, ignoring case.
func (r jrec) has(path, sub string) bool {
	v, ok := r.get(path)
	if !ok || v == nil {
		return false
	}
	s, isText := text(v)
	if !isText {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		s = string(b)
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func (r jrec) success(path string) bool { return r.is(path, "Success") || r.null(path) }

var imdsARN = regexp.MustCompile(`.+:assumed-role/aws:.+`)

// sigmaExpected restates each kept SigmaHQ rule.
var sigmaExpected = map[string]func(r jrec) bool{
	"aws_cloudtrail_bedrock_guardrail_deleted.yml": func(r jrec) bool {
		return r.is("eventSource", "bedrock.amazonaws.com") && r.is("eventName", "DeleteGuardrail")
	},
	"aws_cloudtrail_bedrock_guardrail_updated.yml": func(r jrec) bool {
		return r.is("eventSource", "bedrock.amazonaws.com") && r.is("eventName", "UpdateGuardrail")
	},
	"aws_cloudtrail_bucket_deleted.yml": func(r jrec) bool { return r.is("eventName", "DeleteBucket") && r.success("errorCode") },
	"aws_cloudtrail_console_login_failed_authentication.yml": func(r jrec) bool {
		return r.is("eventName", "ConsoleLogin") && r.is("errorMessage", "Failed authentication")
	},
	"aws_cloudtrail_console_login_success_without_mfa.yml": func(r jrec) bool {
		return r.is("eventName", "ConsoleLogin") && r.is("additionalEventData.MFAUsed", "NO") && r.is("responseElements.ConsoleLogin", "Success")
	},
	"aws_cloudtrail_disable_logging.yml": func(r jrec) bool {
		return r.is("eventSource", "cloudtrail.amazonaws.com") && r.is("eventName", "StopLogging", "UpdateTrail", "DeleteTrail")
	},
	"aws_cloudtrail_guardduty_detector_deleted_or_updated.yml": func(r jrec) bool {
		return r.is("eventSource", "guardduty.amazonaws.com") &&
			(r.is("eventName", "DeleteDetector") || r.is("eventName", "UpdateDetector") && r.is("requestParameters.enable", "false")) &&
			r.success("errorCode")
	},
	"aws_cloudtrail_imds_malicious_usage.yml": func(r jrec) bool {
		arn, _ := r.cwValue("userIdentity.arn")
		return imdsARN.MatchString(arn) &&
			!(r.is("eventSource", "ssm.amazonaws.com") || r.is("eventName", "RegisterManagedInstance") || r.is("sourceIPAddress", "AWS Internal"))
	},
	"aws_cloudtrail_new_acl_entries.yml": func(r jrec) bool {
		return r.is("eventSource", "ec2.amazonaws.com") && r.is("eventName", "CreateNetworkAclEntry")
	},
	"aws_cloudtrail_new_route_added.yml": func(r jrec) bool {
		return r.is("eventSource", "ec2.amazonaws.com") && r.is("eventName", "CreateRoute")
	},
	"aws_cloudtrail_pua_trufflehog.yml": func(r jrec) bool { return r.is("userAgent", "TruffleHog") },
	"aws_cloudtrail_region_enabled.yml": func(r jrec) bool {
		return r.is("eventSource", "account.amazonaws.com") && r.is("eventName", "EnableRegion")
	},
	"aws_cloudtrail_security_group_change_ingress_egress.yml": func(r jrec) bool {
		return r.is("eventSource", "ec2.amazonaws.com") && r.is("eventName", "AuthorizeSecurityGroupEgress", "AuthorizeSecurityGroupIngress",
			"RevokeSecurityGroupEgress", "RevokeSecurityGroupIngress")
	},
	"aws_cloudtrail_security_group_change_loadbalancer.yml": func(r jrec) bool {
		return r.is("eventSource", "elasticloadbalancing.amazonaws.com") && r.is("eventName", "ApplySecurityGroupsToLoadBalancer", "SetSecurityGroups")
	},
	"aws_cloudtrail_security_group_change_rds.yml": func(r jrec) bool {
		return r.is("eventSource", "rds.amazonaws.com") && r.is("eventName", "AuthorizeDBSecurityGroupIngress", "CreateDBSecurityGroup",
			"DeleteDBSecurityGroup", "RevokeDBSecurityGroupIngress")
	},
	"aws_cloudtrail_ssm_malicious_usage.yml": func(r jrec) bool {
		return r.is("eventName", "SendCommand") && r.is("eventSource", "ssm.amazonaws.com") && r.success("errorCode")
	},
	"aws_cloudtrail_vpc_flow_logs_deleted.yml": func(r jrec) bool { return r.is("eventName", "DeleteFlowLogs") && r.success("errorCode") },
	"aws_config_disable_recording.yml": func(r jrec) bool {
		return r.is("eventSource", "config.amazonaws.com") && r.is("eventName", "DeleteDeliveryChannel", "StopConfigurationRecorder")
	},
	"aws_console_getsignintoken.yml": func(r jrec) bool {
		return r.is("eventSource", "signin.amazonaws.com") && r.is("eventName", "GetSigninToken") && !r.has("userAgent", "Jersey/${project.version}")
	},
	"aws_delete_identity.yml": func(r jrec) bool {
		return r.is("eventSource", "ses.amazonaws.com") && r.is("eventName", "DeleteIdentity")
	},
	"aws_delete_saml_provider.yml": func(r jrec) bool {
		return r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "DeleteSAMLProvider") && r.is("status", "success")
	},
	"aws_disable_bucket_versioning.yml": func(r jrec) bool {
		return r.is("eventSource", "s3.amazonaws.com") && r.is("eventName", "PutBucketVersioning") && r.has("requestParameters", "Suspended")
	},
	"aws_ec2_disable_encryption.yml": func(r jrec) bool {
		return r.is("eventSource", "ec2.amazonaws.com") && r.is("eventName", "DisableEbsEncryptionByDefault")
	},
	"aws_ec2_import_key_pair_activity.yml": func(r jrec) bool {
		return r.is("eventSource", "ec2.amazonaws.com") && r.is("eventName", "ImportKeyPair")
	},
	"aws_ec2_startup_script_change.yml": func(r jrec) bool {
		return r.is("eventSource", "ec2.amazonaws.com") && r.is("requestParameters.attribute", "userData") && r.is("eventName", "ModifyInstanceAttribute")
	},
	"aws_ec2_vm_export_failure.yml": func(r jrec) bool {
		return r.is("eventName", "CreateInstanceExportTask") && r.is("eventSource", "ec2.amazonaws.com") &&
			!(r.has("errorMessage", "") || r.has("errorCode", "") || r.has("responseElements", "Failure"))
	},
	"aws_ecs_task_definition_cred_endpoint_query.yml": func(r jrec) bool {
		return r.is("eventSource", "ecs.amazonaws.com") && r.is("eventName", "DescribeTaskDefinition", "RegisterTaskDefinition", "RunTask") &&
			r.has("requestParameters.containerDefinitions", "$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
	},
	"aws_efs_fileshare_modified_or_deleted.yml": func(r jrec) bool {
		return r.is("eventSource", "elasticfilesystem.amazonaws.com") && r.is("eventName", "DeleteFileSystem")
	},
	"aws_efs_fileshare_mount_modified_or_deleted.yml": func(r jrec) bool {
		return r.is("eventSource", "elasticfilesystem.amazonaws.com") && r.is("eventName", "DeleteMountTarget")
	},
	"aws_eks_cluster_created_or_deleted.yml": func(r jrec) bool {
		return r.is("eventSource", "eks.amazonaws.com") && r.is("eventName", "CreateCluster", "DeleteCluster")
	},
	"aws_elasticache_security_group_created.yml": func(r jrec) bool {
		return r.is("eventSource", "elasticache.amazonaws.com") && r.is("eventName", "CreateCacheSecurityGroup")
	},
	"aws_elasticache_security_group_modified_or_deleted.yml": func(r jrec) bool {
		return r.is("eventSource", "elasticache.amazonaws.com") && r.is("eventName", "DeleteCacheSecurityGroup", "AuthorizeCacheSecurityGroupIngress",
			"RevokeCacheSecurityGroupIngress", "AuthorizeCacheSecurityGroupEgress", "RevokeCacheSecurityGroupEgress")
	},
	"aws_enum_buckets.yml": func(r jrec) bool {
		return r.is("eventSource", "s3.amazonaws.com") && r.is("eventName", "ListBuckets") && !r.is("userIdentity.type", "AssumedRole")
	},
	"aws_guardduty_disruption.yml": func(r jrec) bool {
		return r.is("eventSource", "guardduty.amazonaws.com") && r.is("eventName", "CreateIPSet")
	},
	"aws_iam_backdoor_users_keys.yml": func(r jrec) bool {
		return r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "CreateAccessKey") && !r.has("userIdentity.arn", "responseElements.accessKey.userName")
	},
	"aws_iam_s3browser_loginprofile_creation.yml": func(r jrec) bool {
		return r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "GetLoginProfile", "CreateLoginProfile") && r.has("userAgent", "S3 Browser")
	},
	"aws_iam_s3browser_templated_s3_bucket_policy_creation.yml": func(r jrec) bool {
		return r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "PutUserPolicy") && r.has("userAgent", "S3 Browser") &&
			r.has("requestParameters.policyDocument", `"arn:aws:s3:::<YOUR-BUCKET-NAME>/*"`) && r.has("requestParameters.policyDocument", `"s3:GetObject"`) &&
			r.has("requestParameters.policyDocument", `"Allow"`)
	},
	"aws_iam_s3browser_user_or_accesskey_creation.yml": func(r jrec) bool {
		return r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "CreateUser", "CreateAccessKey") && r.has("userAgent", "S3 Browser")
	},
	"aws_kms_import_key_material.yml": func(r jrec) bool {
		return r.is("eventSource", "kms.amazonaws.com") && r.is("eventName", "ImportKeyMaterial", "DeleteImportedKeyMaterial")
	},
	"aws_lambda_function_url.yml": func(r jrec) bool {
		return r.is("eventSource", "lambda.amazonaws.com") && r.is("eventName", "CreateFunctionUrlConfig")
	},
	"aws_new_lambda_layer_attached.yml": func(r jrec) bool {
		v, _ := r.get("requestParameters.layers")
		layers, isList := v.([]any)
		return r.is("eventSource", "lambda.amazonaws.com") && r.has("eventName", "") &&
			strings.HasPrefix(strings.ToLower(fmt.Sprint(r["eventName"])), "updatefunctionconfiguration") &&
			(isList && len(layers) > 0 || !isList && v != nil)
	},
	"aws_passed_role_to_glue_development_endpoint.yml": func(r jrec) bool {
		return r.is("eventSource", "glue.amazonaws.com") && r.is("eventName", "CreateDevEndpoint", "DeleteDevEndpoint", "UpdateDevEndpoint")
	},
	"aws_rds_change_master_password.yml": func(r jrec) bool {
		return r.is("eventSource", "rds.amazonaws.com") && r.has("responseElements.pendingModifiedValues.masterUserPassword", "") && r.is("eventName", "ModifyDBInstance")
	},
	"aws_rds_dbcluster_actions.yml": func(r jrec) bool {
		return r.is("eventSource", "rds.amazonaws.com") && r.is("eventName", "ModifyDBCluster", "DeleteDBCluster")
	},
	"aws_rds_public_db_restore.yml": func(r jrec) bool {
		return r.is("eventSource", "rds.amazonaws.com") && r.is("responseElements.publiclyAccessible", "true") && r.is("eventName", "RestoreDBInstanceFromDBSnapshot")
	},
	"aws_root_account_usage.yml": func(r jrec) bool {
		return r.is("userIdentity.type", "Root") && !r.is("eventType", "AwsServiceEvent")
	},
	"aws_route_53_domain_transferred_lock_disabled.yml": func(r jrec) bool {
		return r.is("eventSource", "route53.amazonaws.com") && r.is("eventName", "DisableDomainTransferLock")
	},
	"aws_route_53_domain_transferred_to_another_account.yml": func(r jrec) bool {
		return r.is("eventSource", "route53.amazonaws.com") && r.is("eventName", "TransferDomainToAnotherAwsAccount")
	},
	"aws_s3_data_management_tampering.yml": func(r jrec) bool {
		return r.is("eventSource", "s3.amazonaws.com") && r.is("eventName", "PutBucketLogging", "PutBucketWebsite", "PutEncryptionConfiguration",
			"PutLifecycleConfiguration", "PutReplicationConfiguration", "ReplicateObject", "RestoreObject")
	},
	"aws_securityhub_finding_evasion.yml": func(r jrec) bool {
		return r.is("eventSource", "securityhub.amazonaws.com") && r.is("eventName", "BatchUpdateFindings", "DeleteInsight", "UpdateFindings", "UpdateInsight")
	},
	"aws_snapshot_backup_exfiltration.yml": func(r jrec) bool {
		return r.is("eventSource", "ec2.amazonaws.com") && r.is("eventName", "ModifySnapshotAttribute")
	},
	"aws_sso_idp_change.yml": func(r jrec) bool {
		return r.is("eventSource", "sso-directory.amazonaws.com", "sso.amazonaws.com") && r.is("eventName", "AssociateDirectory",
			"DisableExternalIdPConfigurationForDirectory", "DisassociateDirectory", "EnableExternalIdPConfigurationForDirectory")
	},
	"aws_sts_assumerole_misuse.yml": func(r jrec) bool {
		return r.is("userIdentity.type", "AssumedRole") && r.is("userIdentity.sessionContext.sessionIssuer.type", "Role")
	},
	"aws_sts_getcalleridentity_trufflehog.yml": func(r jrec) bool {
		return r.is("eventSource", "sts.amazonaws.com") && r.is("eventName", "GetCallerIdentity") && r.has("userAgent", "TruffleHog")
	},
	"aws_sts_getsessiontoken_misuse.yml": func(r jrec) bool {
		return r.is("eventSource", "sts.amazonaws.com") && r.is("eventName", "GetSessionToken") && r.is("userIdentity.type", "IAMUser")
	},
	"aws_susp_saml_activity.yml": func(r jrec) bool {
		return r.is("eventSource", "sts.amazonaws.com") && r.is("eventName", "AssumeRoleWithSAML") ||
			r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "UpdateSAMLProvider")
	},
	"aws_update_login_profile.yml": func(r jrec) bool {
		arn, _ := r.cwValue("userIdentity.arn")
		user, _ := r.cwValue("requestParameters.userName")
		_, hasUser := r.get("requestParameters.userName")
		return r.is("eventSource", "iam.amazonaws.com") && r.is("eventName", "UpdateLoginProfile") &&
			!(hasUser && arn != "" && strings.EqualFold(arn, user))
	},
}

// sigmaRuleIDs maps each kept rule file to its id, read from the YAML with
// a regular expression, not through package detect.
func sigmaRuleIDs(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	require.NoError(t, err)
	ids := map[string]string{}
	idLine := regexp.MustCompile(`(?m)^id: (\S+)$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		m := idLine.FindSubmatch(b)
		require.NotNil(t, m, f)
		ids[filepath.Base(f)] = string(m[1])
	}
	return ids
}

// findingKeys reads detect's output: rule id and record, one per finding.
func findingKeys(t *testing.T, out string) []string {
	t.Helper()
	var keys []string
	for _, line := range lines(out) {
		var f struct {
			RuleID    string          `json:"rule_id"`
			Source    string          `json:"source"`
			EventID   string          `json:"eventID"`
			EventName string          `json:"eventName"`
			Record    json.RawMessage `json:"record"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &f), line)
		keys = append(keys, f.RuleID+" "+compactJSON(t, f.Record))
	}
	sort.Strings(keys)
	return keys
}

func expectedKeys(t *testing.T, ids map[string]string, preds map[string]func(jrec) bool) []string {
	t.Helper()
	var keys []string
	for _, raw := range testdata.Records(t) {
		r := decodeFirstWins(t, raw)
		for name, pred := range preds {
			if pred(r) {
				id := name
				if ids != nil {
					id = ids[name]
				}
				keys = append(keys, id+" "+compactJSON(t, raw))
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func TestDetectCISOverCorpus(t *testing.T) {
	res := runIn(t, nil, "detect", "--cis", testdata.Path(t, "records.jsonl"))
	require.Equal(t, 0, res.code, res.stderr)
	got := findingKeys(t, res.stdout)
	want := expectedKeys(t, nil, cisExpected)
	// Records travel in batches to the goroutine that matches them:
	// findings still come in input order.
	index := map[string]int{}
	for i, raw := range testdata.Records(t) {
		if _, dup := index[compactJSON(t, raw)]; !dup {
			index[compactJSON(t, raw)] = i
		}
	}
	last := -1
	for _, l := range lines(res.stdout) {
		var f struct{ Record json.RawMessage }
		require.NoError(t, json.Unmarshal([]byte(l), &f))
		i, ok := index[compactJSON(t, f.Record)]
		require.True(t, ok)
		require.GreaterOrEqual(t, i, last, "findings out of input order")
		last = i
	}
	require.NotEmpty(t, want)
	assert.Equal(t, want, got)
	perRule := map[string]int{}
	for _, k := range got {
		perRule[strings.Fields(k)[0]]++
	}
	for id := range cisExpected {
		assert.Positive(t, perRule[id], "control %s matches no record of the corpus", id)
	}
	t.Logf("%d CIS findings over %d records: %v", len(got), len(testdata.Records(t)), perRule)
}

func TestDetectSigmaOverCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "detect", "testdata", "sigma")
	ids := sigmaRuleIDs(t, dir)
	require.Len(t, sigmaExpected, len(ids), "every kept rule has its restatement")
	res := runIn(t, nil, "detect", "--rules", dir, testdata.Path(t, "records.jsonl"))
	require.Equal(t, 0, res.code, res.stderr)
	got := findingKeys(t, res.stdout)
	want := expectedKeys(t, ids, sigmaExpected)
	require.NotEmpty(t, want)
	assert.Equal(t, want, got)
	perRule := map[string]int{}
	for _, k := range got {
		perRule[strings.Fields(k)[0]]++
	}
	t.Logf("%d Sigma findings from %d rules", len(got), len(perRule))
}

func TestDetectOutputAndExitStatus(t *testing.T) {
	dir := t.TempDir()
	rec := `{"eventVersion":"1.09","userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"},"eventTime":"2026-01-02T03:04:05Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"},"eventID":"e1","eventType":"AwsConsoleSignIn","recipientAccountId":"123456789012"}`
	input := filepath.Join(dir, "in.jsonl")
	writeFile(t, input, []byte(rec+"\n"))

	res := runIn(t, nil, "detect", "--cis", "--pattern", `{ $.eventName = "ConsoleLogin" }`, "--pattern", "Nothing", input)
	require.Equal(t, 0, res.code, res.stderr)
	var got []map[string]any
	for _, l := range lines(res.stdout) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		got = append(got, m)
	}
	// Findings come in the order of the rules: --rules, --pattern, --cis.
	require.Len(t, got, 3)
	assert.Equal(t, []any{"pattern-1", "4.2", "4.3"}, []any{got[0]["rule_id"], got[1]["rule_id"], got[2]["rule_id"]})
	assert.Equal(t, "pattern", got[0]["source"])
	assert.Equal(t, "cis", got[1]["source"])
	assert.Equal(t, "e1", got[1]["eventID"])
	assert.Equal(t, "2026-01-02T03:04:05Z", got[1]["eventTime"])
	assert.Equal(t, "ConsoleLogin", got[1]["eventName"])
	assert.Equal(t, "Management Console sign-in without MFA", got[1]["title"])
	assert.Equal(t, "medium", got[1]["level"])
	var raw struct{ Record json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(lines(res.stdout)[1]), &raw))
	assert.Equal(t, rec, string(raw.Record), "the record as read")

	res = runIn(t, nil, "detect", "--cis", "--fail-on-findings", input)
	assert.Equal(t, 1, res.code)
	res = runIn(t, nil, "detect", "--pattern", "Nothing", "--fail-on-findings", input)
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Empty(t, res.stdout)

	res = runIn(t, nil, "detect", "--cis", "--output", "ocsf", input)
	require.Equal(t, 0, res.code, res.stderr)
	var f map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines(res.stdout)[0]), &f))
	assert.EqualValues(t, 2004, f["class_uid"])
	assert.EqualValues(t, 2, f["category_uid"])
	assert.EqualValues(t, 200401, f["type_uid"])
	assert.EqualValues(t, 3, f["severity_id"])
	assert.EqualValues(t, 1767323045000, f["time"])
	assert.Equal(t, "1.1.0", f["metadata"].(map[string]any)["version"])
	info := f["finding_info"].(map[string]any)
	assert.Equal(t, "4.2:e1", info["uid"])
	assert.Equal(t, "4.2", info["analytic"].(map[string]any)["uid"])
	assert.Equal(t, "ConsoleLogin", f["evidences"].([]any)[0].(map[string]any)["data"].(map[string]any)["eventName"])

	// Usage errors, bad rules and unreadable input: 2.
	for _, args := range [][]string{
		{"detect", input},
		{"detect", "--cis"},
		{"detect", "--cis", "--output", "xml", input},
		{"detect", "--pattern", "{ $.a = ", input},
		{"detect", "--rules", filepath.Join(dir, "missing.yml"), input},
		{"detect", "--cis", filepath.Join(dir, "missing.jsonl")},
	} {
		res := runIn(t, nil, args...)
		assert.Equal(t, 2, res.code, "%v: %s", args, res.stderr)
		assert.NotEmpty(t, res.stderr, args)
	}
	res = runIn(t, nil, "detect", "--pattern", "{ $.a = ", input)
	assert.Contains(t, res.stderr, "pattern-1:1:9: expected a value after =")
	bad := filepath.Join(dir, "rules")
	writeFile(t, filepath.Join(bad, "a.yml"), []byte("title: a\nid: a\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName|nope: X\n  condition: sel\n"))
	writeFile(t, filepath.Join(bad, "b.yml"), []byte("title: b\nid: b\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: X\n  condition: sel | count() > 2\n"))
	res = runIn(t, nil, "detect", "--rules", bad, input)
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, filepath.Join(bad, "a.yml")+":8:5: rule \"a\": unknown modifier \"nope\"")
	assert.Contains(t, res.stderr, filepath.Join(bad, "b.yml")+":9:14: rule \"b\": condition \"sel | count() > 2\": aggregations")

	// Standard input.
	res = runIn(t, strings.NewReader(rec), "detect", "--pattern", "ConsoleLogin", "-")
	assert.Equal(t, 0, res.code, res.stderr)
	assert.Len(t, lines(res.stdout), 1)
}
