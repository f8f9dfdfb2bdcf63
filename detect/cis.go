package detect

import "fmt"

// CISVersion is the CIS Amazon Web Services Foundations Benchmark whose
// monitoring controls CIS returns.
const CISVersion = "3.0.0"

// cisControls are the metric filters of section 4 (Monitoring) of the
// CIS AWS Foundations Benchmark v3.0.0, as the benchmark publishes them
// (its remediation's put-metric-filter commands). They are kept as
// written, the operator precedence of 4.1 and 4.13 included: CloudWatch
// binds && before ||, so in 4.1 the delivery.logs.amazonaws.com and
// HeadBucket exclusions apply to AccessDenied* errors only, and in 4.13
// the eventSource test applies to CreateRoute only, exactly as the alarms
// a CIS audit finds in production count.
var cisControls = []struct{ id, title, pattern string }{
	{"4.1", "Unauthorized API calls",
		`{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`},
	{"4.2", "Management Console sign-in without MFA",
		`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`},
	{"4.3", "Usage of the 'root' account",
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`},
	{"4.4", "IAM policy changes",
		`{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}`},
	{"4.5", "CloudTrail configuration changes",
		`{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`},
	{"4.6", "AWS Management Console authentication failures",
		`{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`},
	{"4.7", "Disabling or scheduled deletion of customer created CMKs",
		`{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }`},
	{"4.8", "S3 bucket policy changes",
		`{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`},
	{"4.9", "AWS Config configuration changes",
		`{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`},
	{"4.10", "Security group changes",
		`{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`},
	{"4.11", "Changes to Network Access Control Lists (NACL)",
		`{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`},
	{"4.12", "Changes to network gateways",
		`{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`},
	{"4.13", "Route table changes",
		`{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }`},
	{"4.14", "VPC changes",
		`{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`},
	{"4.15", "AWS Organizations changes",
		`{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`},
}

// CIS returns the CloudTrail alarms of the CIS AWS Foundations Benchmark
// (CISVersion, section 4): one rule per control, its ID the control
// number ("4.3") and its Pattern the benchmark's metric filter.
func CIS() []*Rule {
	rules := make([]*Rule, 0, len(cisControls))
	for _, c := range cisControls {
		r, err := ParsePattern("CIS "+c.id, c.pattern)
		if err != nil {
			panic(fmt.Sprintf("detect: CIS control %s: %v", c.id, err)) // a test proves they all compile
		}
		r.ID, r.Title, r.Source = c.id, c.title, SourceCIS
		rules = append(rules, r)
	}
	return rules
}
