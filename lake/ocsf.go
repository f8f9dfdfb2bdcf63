package lake

import (
	"net/netip"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// OCSFVersion is the version of the OCSF schema OCSFRow follows.
const OCSFVersion = "1.1.0"

// OCSF classes a CloudTrail record maps to, as Amazon Security Lake maps
// them: a console sign-in is an Authentication, a change to an IAM user's
// account is an Account Change, any other record an API Activity.
const (
	ClassAccountChange  = 3001
	ClassAuthentication = 3002
	ClassAPIActivity    = 6003
)

// OCSFRow is one record in the ocsf shape: an OCSF 1.1.0 event of class API
// Activity, Authentication or Account Change, with the cloud and datetime
// profiles, as Amazon Security Lake writes CloudTrail management events. The
// mapping is the one published with OCSF's examples for Security Lake's
// CloudTrail source: eventName is api.operation, eventSource
// api.service.name, userIdentity actor.user and actor.session,
// sourceIPAddress src_endpoint.ip (or .domain for a service's name),
// recipientAccountId cloud.account.uid, errorCode status_code with status
// Failure; the members without an OCSF attribute are in unmapped, under
// their CloudTrail names, as JSON text.
type OCSFRow struct {
	ActivityID   int32             `parquet:"activity_id"`
	ActivityName string            `parquet:"activity_name,dict"`
	CategoryUID  int32             `parquet:"category_uid"`
	CategoryName string            `parquet:"category_name,dict"`
	ClassUID     int32             `parquet:"class_uid"`
	ClassName    string            `parquet:"class_name,dict"`
	TypeUID      int64             `parquet:"type_uid"`
	TypeName     string            `parquet:"type_name,dict"`
	SeverityID   int32             `parquet:"severity_id"`
	Severity     string            `parquet:"severity,dict"`
	Time         int64             `parquet:"time"`
	TimeDt       *time.Time        `parquet:"time_dt,optional,timestamp(millisecond)"`
	Status       *string           `parquet:"status,optional,dict"`
	StatusID     int32             `parquet:"status_id"`
	StatusCode   *string           `parquet:"status_code,optional,dict"`
	StatusDetail *string           `parquet:"status_detail,optional"`
	Metadata     OCSFMetadata      `parquet:"metadata"`
	Actor        *OCSFActor        `parquet:"actor,optional"`
	User         *OCSFUser         `parquet:"user,optional"`
	IsMFA        *bool             `parquet:"is_mfa,optional"`
	API          OCSFAPI           `parquet:"api"`
	SrcEndpoint  OCSFEndpoint      `parquet:"src_endpoint"`
	HTTPRequest  *OCSFHTTP         `parquet:"http_request,optional"`
	Cloud        OCSFCloud         `parquet:"cloud"`
	Resources    []OCSFResource    `parquet:"resources,optional,list"`
	Unmapped     map[string]string `parquet:"unmapped,optional" parquet-key:",dict" parquet-value:",dict"`
}

// OCSFMetadata is the event's metadata object.
type OCSFMetadata struct {
	Product   OCSFProduct `parquet:"product"`
	Profiles  []string    `parquet:"profiles,list,dict"`
	UID       *string     `parquet:"uid,optional"`
	Version   string      `parquet:"version,dict"`
	EventCode *string     `parquet:"event_code,optional,dict"`
}

// OCSFProduct names CloudTrail and the record's format version.
type OCSFProduct struct {
	Name       string       `parquet:"name,dict"`
	VendorName string       `parquet:"vendor_name,dict"`
	Version    *string      `parquet:"version,optional,dict"`
	Feature    *OCSFFeature `parquet:"feature,optional"`
}

// OCSFFeature holds the record's eventCategory.
type OCSFFeature struct {
	Name *string `parquet:"name,optional,dict"`
}

// OCSFActor is who made the call.
type OCSFActor struct {
	User      *OCSFUser    `parquet:"user,optional"`
	Session   *OCSFSession `parquet:"session,optional"`
	InvokedBy *string      `parquet:"invoked_by,optional,dict"`
	IDP       *OCSFIDP     `parquet:"idp,optional"`
}

// OCSFUser is a user (userIdentity for the actor).
type OCSFUser struct {
	Type          *string      `parquet:"type,optional,dict"`
	UID           *string      `parquet:"uid,optional,dict"`
	UIDAlt        *string      `parquet:"uid_alt,optional,dict"`
	Name          *string      `parquet:"name,optional,dict"`
	Account       *OCSFAccount `parquet:"account,optional"`
	CredentialUID *string      `parquet:"credential_uid,optional,dict"`
}

// OCSFAccount is an account, by its id.
type OCSFAccount struct {
	UID *string `parquet:"uid,optional,dict"`
}

// OCSFSession is the actor's session (userIdentity.sessionContext).
type OCSFSession struct {
	CreatedTime   *int64     `parquet:"created_time,optional,dict"`
	CreatedTimeDt *time.Time `parquet:"created_time_dt,optional,timestamp(millisecond),dict"`
	IsMFA         *bool      `parquet:"is_mfa,optional"`
	Issuer        *string    `parquet:"issuer,optional,dict"`
}

// OCSFIDP is the identity provider of a federated user.
type OCSFIDP struct {
	Name *string `parquet:"name,optional,dict"`
	UID  *string `parquet:"uid,optional,dict"`
}

// OCSFAPI is the call.
type OCSFAPI struct {
	Operation string        `parquet:"operation,dict"`
	Version   *string       `parquet:"version,optional,dict"`
	Service   *OCSFService  `parquet:"service,optional"`
	Request   *OCSFRequest  `parquet:"request,optional"`
	Response  *OCSFResponse `parquet:"response,optional"`
}

// OCSFService is the AWS service called (eventSource).
type OCSFService struct {
	Name *string `parquet:"name,optional,dict"`
}

// OCSFRequest is the request: requestID and requestParameters (JSON text).
type OCSFRequest struct {
	UID  string  `parquet:"uid"`
	Data *string `parquet:"data,optional"`
}

// OCSFResponse is the response: errorCode, errorMessage and
// responseElements (JSON text).
type OCSFResponse struct {
	Error   *string `parquet:"error,optional,dict"`
	Message *string `parquet:"message,optional"`
	Data    *string `parquet:"data,optional"`
}

// OCSFEndpoint is where the call came from.
type OCSFEndpoint struct {
	IP     *string `parquet:"ip,optional,dict"`
	Domain *string `parquet:"domain,optional,dict"`
	UID    *string `parquet:"uid,optional,dict"`
}

// OCSFHTTP holds the user agent.
type OCSFHTTP struct {
	UserAgent *string `parquet:"user_agent,optional,dict"`
}

// OCSFCloud is where the call was made: provider, region and account.
type OCSFCloud struct {
	Provider string       `parquet:"provider,dict"`
	Region   *string      `parquet:"region,optional,dict"`
	Account  *OCSFAccount `parquet:"account,optional"`
}

// OCSFResource is one of the record's resources.
type OCSFResource struct {
	UID   *string   `parquet:"uid,optional"`
	Type  *string   `parquet:"type,optional,dict"`
	Owner *OCSFUser `parquet:"owner,optional"`
}

var ocsfProfiles = []string{"cloud", "datetime"}

// ocsfRow fills row from r.
func ocsfRow(row *OCSFRow, r *event.Record, x *extras) {
	s := x.s
	class, activity, activityName := ocsfClass(r.EventType, r.EventSource, r.EventName, r.ReadOnly)
	*row = OCSFRow{
		ClassUID:     int32(class),
		ActivityID:   int32(activity),
		ActivityName: activityName,
		TypeUID:      int64(class)*100 + int64(activity),
		SeverityID:   1,
		Severity:     "Informational",
		Metadata: OCSFMetadata{
			Product:   OCSFProduct{Name: "CloudTrail", VendorName: "AWS", Version: s(r.EventVersion)},
			Profiles:  ocsfProfiles,
			UID:       s(r.EventID),
			Version:   OCSFVersion,
			EventCode: s(r.EventType),
		},
		API:   OCSFAPI{Operation: r.EventName, Version: s(r.APIVersion)},
		Cloud: OCSFCloud{Provider: "AWS", Region: s(r.AWSRegion)},
	}
	var category int
	category, row.CategoryName, row.ClassName = ocsfCategory(class)
	row.CategoryUID = int32(category)
	row.TypeName = ocsfTypeName(class, activity, activityName)
	if !r.EventTime.IsZero() {
		row.Time = r.EventTime.UnixMilli()
		row.TimeDt = x.t(r.EventTime)
	}
	if r.EventCategory != "" {
		row.Metadata.Product.Feature = &OCSFFeature{Name: s(r.EventCategory)}
	}
	if r.EventSource != "" {
		row.API.Service = &OCSFService{Name: s(r.EventSource)}
	}
	if r.RequestID != "" { // the request object requires its uid
		row.API.Request = &OCSFRequest{UID: r.RequestID, Data: x.raw(r.RequestParameters)}
	}
	if r.ErrorCode != "" || r.ErrorMessage != "" || r.ResponseElements != nil {
		row.API.Response = &OCSFResponse{Error: s(r.ErrorCode), Message: s(r.ErrorMessage), Data: x.raw(r.ResponseElements)}
	}
	row.Status, row.StatusID = s("Success"), 1
	if r.ErrorCode != "" {
		row.Status, row.StatusID = s("Failure"), 2
		row.StatusCode = s(r.ErrorCode)
		row.StatusDetail = s(r.ErrorMessage)
	}
	if class == ClassAuthentication {
		// A console sign-in says how it went in responseElements.
		if v, ok := event.Get(r.ResponseElements, "ConsoleLogin").Text(); ok && v != "Success" {
			row.Status, row.StatusID = s("Failure"), 2
		}
		if v, ok := event.Get(r.AdditionalEventData, "MFAUsed").Text(); ok {
			row.IsMFA = event.Bool(v == "Yes")
		}
	}
	row.SrcEndpoint.UID = s(r.VPCEndpointID)
	if a, err := netip.ParseAddr(r.SourceIPAddress); err == nil && a.IsValid() {
		row.SrcEndpoint.IP = s(r.SourceIPAddress)
	} else {
		row.SrcEndpoint.Domain = s(r.SourceIPAddress)
	}
	if r.UserAgent != "" {
		row.HTTPRequest = &OCSFHTTP{UserAgent: s(r.UserAgent)}
	}
	if r.RecipientAccountID != "" {
		row.Cloud.Account = &OCSFAccount{UID: s(r.RecipientAccountID)}
	}
	row.Actor = ocsfActor(r.UserIdentity, x)
	switch class {
	case ClassAuthentication:
		row.User = row.Actor.User
	case ClassAccountChange:
		row.User = changedUser(r, x)
	}
	if row.User == nil && class != ClassAPIActivity {
		row.User = &OCSFUser{} // required by both IAM classes
	}
	for _, res := range r.Resources {
		o := OCSFResource{UID: s(res.ARN), Type: s(res.Type)}
		if res.AccountID != "" {
			o.Owner = &OCSFUser{Account: &OCSFAccount{UID: s(res.AccountID)}}
		}
		row.Resources = append(row.Resources, o)
	}
	ocsfUnmapped(row, r, x)
}

func ocsfActor(u *event.UserIdentity, x *extras) *OCSFActor {
	if u == nil {
		return &OCSFActor{}
	}
	s := x.s
	a := &OCSFActor{
		User: &OCSFUser{
			Type:          s(u.Type),
			UID:           s(u.ARN),
			UIDAlt:        s(u.PrincipalID),
			Name:          s(u.UserName),
			CredentialUID: s(u.AccessKeyID),
		},
		InvokedBy: s(u.InvokedBy),
	}
	if u.AccessKeyID == "" {
		a.User.CredentialUID = s(u.CredentialID)
	}
	if u.AccountID != "" {
		a.User.Account = &OCSFAccount{UID: s(u.AccountID)}
	}
	if u.IdentityProvider != "" {
		a.IDP = &OCSFIDP{Name: s(u.IdentityProvider)}
	}
	if o := u.OnBehalfOf; o != nil {
		if u.PrincipalID == "" {
			a.User.UIDAlt = s(o.UserID)
		}
		if a.IDP == nil {
			a.IDP = &OCSFIDP{}
		}
		a.IDP.UID = s(o.IdentityStoreARN)
	}
	if c := u.SessionContext; c != nil {
		ses := &OCSFSession{}
		if i := c.SessionIssuer; i != nil {
			ses.Issuer = s(i.ARN)
		}
		if w := c.WebIDFederationData; w != nil && w.FederatedProvider != "" && a.IDP == nil {
			a.IDP = &OCSFIDP{Name: s(w.FederatedProvider)}
		}
		if at := c.Attributes; at != nil {
			if t, ok := creationTime(at.CreationDate); ok {
				ms := t.UnixMilli()
				ses.CreatedTime = &ms
				ses.CreatedTimeDt = x.t(t)
			}
			switch at.MFAAuthenticated {
			case "true":
				ses.IsMFA = event.Bool(true)
			case "false":
				ses.IsMFA = event.Bool(false)
			}
		}
		a.Session = ses
	}
	return a
}

// changedUser is the user an IAM account change is about, from the
// request's userName.
func changedUser(r *event.Record, x *extras) *OCSFUser {
	name, _ := event.Get(r.RequestParameters, "userName").Text()
	if name == "" {
		return nil
	}
	u := &OCSFUser{Name: x.s(name)}
	if arn, ok := event.Get(r.ResponseElements, "user", "arn").Text(); ok {
		u.UID = x.s(arn)
	}
	return u
}

// ocsfClass returns the OCSF class and activity of a record of eventType,
// eventSource and eventName: sign-ins are Authentication Logon; IAM's calls
// that create, delete, enable, disable or change the password or policies
// of a user are Account Change; every other record is API Activity, its
// activity read from the operation's verb (readOnly's when it has none).
func ocsfClass(eventType, source, name string, readOnly *bool) (class, activity int, activityName string) {
	if eventType == event.TypeConsoleSignIn || source == "signin.amazonaws.com" && name == "ConsoleLogin" {
		return ClassAuthentication, 1, "Logon"
	}
	if source == "iam.amazonaws.com" {
		if a, ok := accountChanges[name]; ok {
			return ClassAccountChange, a, accountChangeNames[a]
		}
	}
	verb := name
	for i := 1; i < len(verb); i++ {
		if verb[i] >= 'A' && verb[i] <= 'Z' {
			verb = verb[:i]
			break
		}
	}
	switch verb {
	case "Create", "Put", "Add", "Register", "Run", "Start", "Import", "Allocate", "Attach", "Associate", "Issue", "Request":
		return ClassAPIActivity, 1, "Create"
	case "Get", "Describe", "List", "Head", "Lookup", "Search", "Select", "Scan", "Query", "Batch", "Check", "View", "Decrypt", "Generate", "Assume", "Filter":
		if strings.HasPrefix(name, "BatchDelete") || strings.HasPrefix(name, "BatchWrite") {
			break
		}
		return ClassAPIActivity, 2, "Read"
	case "Update", "Modify", "Set", "Change", "Enable", "Disable", "Reset", "Tag", "Untag", "Replace", "Restore", "Stop", "Reboot", "Encrypt":
		return ClassAPIActivity, 3, "Update"
	case "Delete", "Remove", "Terminate", "Deregister", "Detach", "Disassociate", "Release", "Revoke", "Cancel":
		return ClassAPIActivity, 4, "Delete"
	}
	if readOnly != nil && *readOnly {
		return ClassAPIActivity, 2, "Read"
	}
	return ClassAPIActivity, 99, "Other"
}

// ocsfCategory returns the category and the name of class.
func ocsfCategory(class int) (category int, categoryName, className string) {
	switch class {
	case ClassAPIActivity:
		return 6, "Application Activity", "API Activity"
	case ClassAuthentication:
		return 3, "Identity & Access Management", "Authentication"
	case ClassAccountChange:
		return 3, "Identity & Access Management", "Account Change"
	}
	return 0, "", ""
}

// ocsfTypeName returns type_name, "<class name>: <activity name>", from a
// table of those ocsfClass returns rather than building it for each row.
func ocsfTypeName(class, activity int, activityName string) string {
	if n, ok := ocsfTypeNames[class*100+activity]; ok {
		return n
	}
	_, _, className := ocsfCategory(class)
	return className + ": " + activityName
}

var ocsfTypeNames = func() map[int]string {
	m := map[int]string{}
	add := func(class, activity int, name string) {
		_, _, className := ocsfCategory(class)
		m[class*100+activity] = className + ": " + name
	}
	for a, name := range map[int]string{1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"} {
		add(ClassAPIActivity, a, name)
	}
	add(ClassAuthentication, 1, "Logon")
	for a, name := range accountChangeNames {
		add(ClassAccountChange, a, name)
	}
	return m
}()

var accountChanges = map[string]int{
	"CreateUser":          1,
	"CreateLoginProfile":  2,
	"EnableMFADevice":     10,
	"ChangePassword":      3,
	"UpdateLoginProfile":  4,
	"DeleteLoginProfile":  5,
	"DeleteUser":          6,
	"AttachUserPolicy":    7,
	"PutUserPolicy":       7,
	"DetachUserPolicy":    8,
	"DeleteUserPolicy":    8,
	"DeactivateMFADevice": 11,
}

var accountChangeNames = map[int]string{1: "Create", 2: "Enable", 3: "Password Change", 4: "Password Reset", 5: "Disable", 6: "Delete", 7: "Attach Policy", 8: "Detach Policy", 10: "MFA Factor Enable", 11: "MFA Factor Disable"}

// ocsfUnmapped puts in row.Unmapped the members OCSF has no attribute for,
// under their CloudTrail names, as JSON text.
func ocsfUnmapped(row *OCSFRow, r *event.Record, x *extras) {
	m := map[string]string{}
	add := func(k string, v []byte) {
		if len(v) > 0 {
			m[k] = text(v)
		}
	}
	str := func(k, v string) {
		if v != "" {
			x.enc = jsonscan.AppendString(x.enc[:0], v)
			m[k] = string(x.enc)
		}
	}
	if row.API.Request == nil {
		add("requestParameters", r.RequestParameters)
	}
	add("additionalEventData", r.AdditionalEventData)
	add("serviceEventDetails", r.ServiceEventDetails)
	if r.ReadOnly != nil {
		m["readOnly"] = boolText(*r.ReadOnly)
	}
	if r.ManagementEvent != nil {
		m["managementEvent"] = boolText(*r.ManagementEvent)
	}
	str("sharedEventID", r.SharedEventID)
	str("vpcEndpointAccountId", r.VPCEndpointAccountID)
	str("sessionCredentialFromConsole", r.SessionCredentialFromConsole)
	str("annotation", r.Annotation)
	if r.TLSDetails != nil || r.Addendum != nil || r.EdgeDeviceDetails != nil || r.InsightDetails != nil || r.EventContext != nil {
		rec := objectMembers(r)
		for _, m := range []struct {
			key     string
			present bool
		}{
			{"tlsDetails", r.TLSDetails != nil},
			{"addendum", r.Addendum != nil},
			{"edgeDeviceDetails", r.EdgeDeviceDetails != nil},
			{"insightDetails", r.InsightDetails != nil},
			{"eventContext", r.EventContext != nil},
		} {
			if m.present { // each Get reads rec to its member or its end
				add(m.key, event.Get(rec, m.key).Raw())
			}
		}
	}
	for _, f := range r.Extra {
		add(f.Key, f.Value)
	}
	if len(m) > 0 {
		row.Unmapped = m
	}
}

// creationTime parses a session's creationDate as time.Parse with
// time.RFC3339 does, CloudTrail's own layout (event.ParseTime) first,
// which takes a fifth of the time.
func creationTime(s string) (time.Time, bool) {
	if t, ok := event.ParseTime(s); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
