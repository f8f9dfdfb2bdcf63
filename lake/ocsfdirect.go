package lake

import (
	"bytes"
	"net/netip"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// addOCSF adds the ocsf shape's row of the record d scanned, which must
// echo (d.echoes): its column values come straight from d's, as ocsfValues
// emits those of the record d.record fills (TestOCSFDirect checks they
// agree on every record the direct path takes). Filling that record, then
// an OCSFRow with its pointers, its unmapped map and the JSON text of
// tlsDetails and addendum re-encoded from a record took more processor
// time than the rest of the ocsf shape's work on top of the cloudtrail
// shape's.
func (t *directTable) addOCSF(d *directRecord, x *extras) error {
	ocsfDirect(t.emitter(), &t.ocsf, d, x)
	return t.added()
}

// ocsfDirect emits the row of the record d scanned; the column numbers,
// levels and values are those of ocsfValues, each step there named here.
// The columns of top-level values are staged in rows, which emits them
// later for all its rows at once (ocsfRows).
func ocsfDirect(e emitter, rows *ocsfRows, d *directRecord, x *extras) {
	v := func(c int) parquet.Value { return d.vals[rc[c]] }
	null := parquet.NullValue()
	var readOnly *bool
	ro := v(cReadOnly)
	if !ro.IsNull() {
		b := ro.Boolean()
		readOnly = &b
	}
	class, activity, _ := ocsfClass(d.str(rc[cEventType]), d.str(rc[cEventSource]), d.str(rc[cEventName]), readOnly)

	// Status, from errorCode; a sign-in's from responseElements.
	failed := !v(cErrorCode).IsNull()
	mfa, hasMFA := false, false
	if class == ClassAuthentication {
		if s, ok := event.Get(d.raw(rc[cResponseElements]), "ConsoleLogin").Text(); ok && s != "Success" {
			failed = true
		}
		if s, ok := event.Get(d.raw(rc[cAdditionalEventData]), "MFAUsed").Text(); ok {
			mfa, hasMFA = s == "Yes", true
		}
	}
	ip := v(cSourceIPAddress)
	rows.add(d, ocsfKindOf[class*100+activity], failed, !ip.IsNull() && validAddr(ip.ByteArray()))

	// actor: present, empty without a userIdentity.
	identity := d.has(rc[cUIType], 1)
	if identity {
		ocsfIdentity(e, 24, 2, d)
		ocsfSession(e, d)
		e.val(34, 0, 2, v(cUIInvokedBy))
		name, uid := v(cUIIdentityProvider), null
		idp := !name.IsNull()
		if d.has(rc[cUIOnBehalfUserId], 2) {
			idp, uid = true, v(cUIOnBehalfIdentityStoreArn)
		}
		if fp := v(cUISCWebIDFederatedProvider); !idp && d.has(rc[cUISCWebIDFederatedProvider], 3) && !fp.IsNull() {
			idp, name = true, fp
		}
		if idp {
			e.val(35, 0, 3, name)
			e.val(36, 0, 3, uid)
		} else {
			e.null(35, 37, 0, 1)
		}
	} else {
		e.null(24, 37, 0, 1)
	}

	// user: the actor's for a sign-in, the one changed for an account
	// change (present, empty, when not known), none for API Activity.
	switch {
	case class == ClassAuthentication && identity:
		ocsfIdentity(e, 37, 1, d)
	case class == ClassAccountChange:
		name, _ := event.Get(d.raw(rc[cRequestParameters]), "userName").Text()
		if name == "" {
			e.null(37, 43, 0, 1)
			break
		}
		e.put(37, 0, 1, null)
		if arn, ok := event.Get(d.raw(rc[cResponseElements]), "user", "arn").Text(); ok && arn != "" {
			e.put(38, 0, 2, strValue(arn))
		} else {
			e.put(38, 0, 1, null)
		}
		e.put(39, 0, 1, null)
		e.put(40, 0, 2, strValue(name))
		e.null(41, 43, 0, 1)
	case class != ClassAPIActivity:
		e.null(37, 43, 0, 1)
	default:
		e.null(37, 43, 0, 0)
	}
	if hasMFA {
		e.put(43, 0, 1, parquet.BooleanValue(mfa))
	} else {
		e.put(43, 0, 0, null)
	}

	// resources, each with its owner's account.
	if arns := d.lists[rc[cResARN]]; arns[0].DefinitionLevel() > 0 {
		for i := range arns {
			r := rep(i)
			e.val(59, r, 3, arns[i])
			e.val(60, r, 3, d.lists[rc[cResType]][i])
			if a := d.lists[rc[cResAccountId]][i]; !a.IsNull() {
				e.null(61, 65, r, 3)
				e.put(65, r, 5, a)
				e.put(66, r, 3, null)
			} else {
				e.null(61, 67, r, 2)
			}
		}
	} else {
		e.null(59, 67, 0, 0)
	}

	// unmapped, in key order.
	n := 0
	kv := func(k string, val parquet.Value) {
		e.put(67, rep(n), 2, strValue(k))
		e.put(68, rep(n), 2, val)
		n++
	}
	str := func(k string, c int) {
		if s := v(c); !s.IsNull() {
			kv(k, x.ocsf.quote(s.ByteArray()))
		}
	}
	raw := func(k string, c int) {
		if s := v(c); !s.IsNull() {
			kv(k, s)
		}
	}
	boolean := func(k string, c int) {
		if b := v(c); !b.IsNull() {
			kv(k, strValue(boolText(b.Boolean())))
		}
	}
	if d.has(rc[cAddReason], 1) {
		kv("addendum", x.ocsf.echo(d, &x.ocsf.addendum, addendumMembers, cAddReason))
	}
	raw("additionalEventData", cAdditionalEventData)
	str("annotation", cAnnotation)
	boolean("managementEvent", cManagementEvent)
	boolean("readOnly", cReadOnly)
	if v(cRequestID).IsNull() {
		raw("requestParameters", cRequestParameters)
	}
	raw("serviceEventDetails", cServiceEventDetails)
	str("sessionCredentialFromConsole", cSessionCredentialFromConsole)
	str("sharedEventID", cSharedEventID)
	if d.has(rc[cTLSTlsVersion], 1) {
		kv("tlsDetails", x.ocsf.echo(d, &x.ocsf.tls, tlsMembers, cTLSTlsVersion))
	}
	str("vpcEndpointAccountId", cVpcEndpointAccountId)
	if n == 0 {
		e.null(67, 69, 0, 0)
	}
}

// ocsfIdentity emits the user group of userIdentity in the six columns from
// c, def being the group's level.
func ocsfIdentity(e emitter, c, def int, d *directRecord) {
	v := func(c int) parquet.Value { return d.vals[rc[c]] }
	e.val(c, 0, def+1, v(cUIType))
	e.val(c+1, 0, def+1, v(cUIArn))
	alt := v(cUIPrincipalId)
	if alt.IsNull() {
		alt = v(cUIOnBehalfUserId) // null without onBehalfOf
	}
	e.val(c+2, 0, def+1, alt)
	e.val(c+3, 0, def+1, v(cUIUserName))
	if a := v(cUIAccountId); !a.IsNull() {
		e.put(c+4, 0, def+2, a)
	} else {
		e.put(c+4, 0, def, parquet.NullValue())
	}
	cred := v(cUIAccessKeyId)
	if cred.IsNull() {
		cred = v(cUICredentialId)
	}
	e.val(c+5, 0, def+1, cred)
}

// ocsfSession emits actor.session from userIdentity.sessionContext.
func ocsfSession(e emitter, d *directRecord) {
	if !d.has(rc[cUISCSourceIdentity], 2) {
		e.null(30, 34, 0, 1)
		return
	}
	null := parquet.NullValue()
	if d.has(rc[cUISCAttrCreationDate], 3) {
		if t, ok := creationTime(d.str(rc[cUISCAttrCreationDate])); ok {
			e.put(30, 0, 3, parquet.Int64Value(t.UnixMilli()))
			if t.IsZero() {
				e.put(31, 0, 2, null)
			} else {
				e.put(31, 0, 3, parquet.Int64Value(t.UnixMilli()))
			}
		} else {
			e.null(30, 32, 0, 2)
		}
		switch d.str(rc[cUISCAttrMfaAuthenticated]) {
		case "true":
			e.put(32, 0, 3, parquet.BooleanValue(true))
		case "false":
			e.put(32, 0, 3, parquet.BooleanValue(false))
		default:
			e.put(32, 0, 2, null)
		}
	} else {
		e.null(30, 33, 0, 2)
	}
	if d.has(rc[cUISCIssuerType], 3) {
		e.val(33, 0, 3, d.vals[rc[cUISCIssuerArn]])
	} else {
		e.put(33, 0, 2, null)
	}
}

// val puts v, a value of another column, as an optional value whose
// definition level is def when not null.
func (e emitter) val(c, rep, def int, v parquet.Value) {
	if v.IsNull() {
		e.put(c, rep, def-1, v)
		return
	}
	e.put(c, rep, def, v)
}

// validAddr reports whether b is an IP address, as sourceIPAddress holds
// for a caller (and not a service's name).
func validAddr(b []byte) bool {
	_, err := netip.ParseAddr(unsafe.String(unsafe.SliceData(b), len(b)))
	return err == nil
}

// The members of tlsDetails and addendum, in CloudTrail's order: the
// order of their columns from cTLSTlsVersion and cAddReason.
var (
	tlsMembers      = quotedKeys("tlsVersion", "cipherSuite", "clientProvidedHostHeader", "keyExchange")
	addendumMembers = quotedKeys("reason", "updatedFields", "originalRequestID", "originalEventID")
)

func quotedKeys(keys ...string) []string {
	for i, k := range keys {
		keys[i] = string(jsonscan.AppendString(nil, k)) + ":"
	}
	return keys
}

// ocsfText is JSON text made for unmapped. Text already in buf is never
// moved or overwritten: values not yet written point into it, and a full
// buffer is left to them and the collector.
type ocsfText struct {
	buf           []byte
	tls, addendum echoed
}

// echoed is the last object echo made: its members' values and its text.
// Records grouped by API call (order.go) often repeat their tlsDetails.
type echoed struct {
	vals [4][]byte
	text parquet.Value
}

// echo returns the JSON text of the object whose members are keys and
// whose values are the strings of the columns from first: as the record d
// echoes writes it back (its members in this order, none empty). last is
// the object's previous text, which it returns when the values are the
// same (a value is null or not empty: bytes.Equal tells them apart).
func (x *ocsfText) echo(d *directRecord, last *echoed, keys []string, first int) parquet.Value {
	same := !last.text.IsNull()
	n := 2
	for i, k := range keys {
		s := d.vals[rc[first+i]].ByteArray()
		same = same && bytes.Equal(s, last.vals[i])
		n += len(k) + 7*len(s) + 3 // escaped, and kept
	}
	if same {
		return last.text
	}
	b := x.room(n)
	start := len(b)
	b = append(b, '{')
	for i, k := range keys {
		s := d.vals[rc[first+i]]
		if s.IsNull() {
			continue
		}
		if len(b) > start+1 {
			b = append(b, ',')
		}
		b = append(b, k...)
		b = jsonscan.AppendString(b, valueText(s))
	}
	b = append(b, '}')
	last.text = parquet.ByteArrayValue(b[start:len(b):len(b)])
	// The values are kept in buf too: the record text they point into
	// is reused.
	for i := range keys {
		s := d.vals[rc[first+i]].ByteArray()
		last.vals[i] = nil
		if len(s) > 0 {
			b = append(b, s...)
			last.vals[i] = b[len(b)-len(s) : len(b) : len(b)]
		}
	}
	x.buf = b
	return last.text
}

// quote returns s as a JSON string.
func (x *ocsfText) quote(s []byte) parquet.Value {
	b := x.room(6*len(s) + 2)
	start := len(b)
	b = jsonscan.AppendString(b, unsafe.String(unsafe.SliceData(s), len(s)))
	x.buf = b
	return parquet.ByteArrayValue(b[start:len(b):len(b)])
}

// room returns x.buf with room for n more bytes.
func (x *ocsfText) room(n int) []byte {
	if cap(x.buf)-len(x.buf) < n {
		x.buf = make([]byte, 0, max(n, 64<<10))
	}
	return x.buf
}
