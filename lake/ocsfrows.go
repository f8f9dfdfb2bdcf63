package lake

import (
	"slices"

	"github.com/parquet-go/parquet-go"
)

// ocsfRows holds the rows ocsfDirect added whose columns of top-level
// values (class and activity, time, status, metadata, api, src_endpoint,
// cloud) are not emitted yet: emitted row by row, each value through a
// call that sets its levels and appends it, these 41 values of a row took
// about 80 instructions each; emit writes each of those columns for all
// the rows in one loop, about 40 a value with the staging (20,000
// records: about 27M fewer). A table emits them before it writes its columns,
// and before a row of its own (directTable.add), so rows stay in order.
type ocsfRows struct {
	staged []ocsfStaged
}

// ocsfStaged is what a row's staged columns are made of.
type ocsfStaged struct {
	vals   [len(stagedMembers)]parquet.Value // of the members stagedMembers names
	kind   uint8                             // in ocsfKinds: its class and activity
	failed bool                              // status Failure
	addr   bool                              // sourceIPAddress is an IP address (not a service's name)
}

// The members of a record the staged columns are made of, by their
// place in ocsfStaged.vals.
const (
	sEventTime = iota
	sErrorCode
	sErrorMessage
	sEventVersion
	sEventCategory
	sEventID
	sEventType
	sEventName
	sApiVersion
	sEventSource
	sRequestID
	sRequestParameters
	sResponseElements
	sSourceIPAddress
	sVpcEndpointId
	sUserAgent
	sAwsRegion
	sRecipientAccountId
)

var stagedMembers = [...]int{
	sEventTime: cEventTime, sErrorCode: cErrorCode, sErrorMessage: cErrorMessage,
	sEventVersion: cEventVersion, sEventCategory: cEventCategory, sEventID: cEventID,
	sEventType: cEventType, sEventName: cEventName, sApiVersion: cApiVersion,
	sEventSource: cEventSource, sRequestID: cRequestID, sRequestParameters: cRequestParameters,
	sResponseElements: cResponseElements, sSourceIPAddress: cSourceIPAddress,
	sVpcEndpointId: cVpcEndpointId, sUserAgent: cUserAgent, sAwsRegion: cAwsRegion,
	sRecipientAccountId: cRecipientAccountId,
}

// stagedCols are the columns of stagedMembers in a directRecord's vals.
var stagedCols = func() (cols [len(stagedMembers)]int) {
	for i, m := range stagedMembers {
		cols[i] = rc[m]
	}
	return cols
}()

// add stages the row of the record d scanned, of kind, failed, and whose
// sourceIPAddress is an address when addr.
func (r *ocsfRows) add(d *directRecord, kind uint8, failed, addr bool) {
	n := len(r.staged)
	r.staged = slices.Grow(r.staged, 1)[:n+1]
	s := &r.staged[n]
	s.kind, s.failed, s.addr = kind, failed, addr
	for i, c := range &stagedCols {
		s.vals[i] = d.vals[c]
	}
}

// ocsfKind is a class and activity ocsfClass returns, with the values of
// the first eight columns, which depend on them alone.
type ocsfKind struct {
	class, activity int
	vals            [8]parquet.Value
}

var ocsfKinds, ocsfKindOf = func() ([]ocsfKind, map[int]uint8) {
	var kinds []ocsfKind
	of := map[int]uint8{}
	add := func(class, activity int, name string) {
		category, categoryName, className := ocsfCategory(class)
		k := ocsfKind{class: class, activity: activity}
		for c, v := range []parquet.Value{
			parquet.Int32Value(int32(activity)),
			strValue(name),
			parquet.Int32Value(int32(category)),
			strValue(categoryName),
			parquet.Int32Value(int32(class)),
			strValue(className),
			parquet.Int64Value(int64(class)*100 + int64(activity)),
			strValue(ocsfTypeName(class, activity, name)),
		} {
			k.vals[c] = v.Level(0, 0, c)
		}
		of[class*100+activity] = uint8(len(kinds))
		kinds = append(kinds, k)
	}
	for _, a := range []struct {
		id   int
		name string
	}{{1, "Create"}, {2, "Read"}, {3, "Update"}, {4, "Delete"}, {99, "Other"}} {
		add(ClassAPIActivity, a.id, a.name)
	}
	add(ClassAuthentication, 1, "Logon")
	for a, name := range accountChangeNames {
		add(ClassAccountChange, a, name)
	}
	return kinds, of
}()

// The values of the staged columns that are the same in many rows, with
// their levels.
var (
	ocsfSeverityID = parquet.Int32Value(1).Level(0, 0, 8)
	ocsfSeverity   = strValue("Informational").Level(0, 0, 9)
	ocsfSuccess    = [2]parquet.Value{strValue("Success").Level(0, 1, 12), parquet.Int32Value(1).Level(0, 0, 13)}
	ocsfFailure    = [2]parquet.Value{strValue("Failure").Level(0, 1, 12), parquet.Int32Value(2).Level(0, 0, 13)}
	ocsfProduct    = strValue("CloudTrail").Level(0, 0, 16)
	ocsfVendor     = strValue("AWS").Level(0, 0, 17)
	ocsfProfileVal = [2]parquet.Value{strValue(ocsfProfiles[0]).Level(0, 1, 20), strValue(ocsfProfiles[1]).Level(1, 1, 20)}
	ocsfVersion    = strValue(OCSFVersion).Level(0, 0, 22)
	ocsfNoName     = strValue("").Level(0, 0, 44)
	ocsfProvider   = strValue("AWS").Level(0, 0, 56)
)

// ocsfNulls[def][c] is the null of column c at definition level def.
var ocsfNulls = func() (nulls [3][]parquet.Value) {
	n := len(schemaOf[OCSFRow]().Columns())
	for def := range nulls {
		nulls[def] = make([]parquet.Value, n)
		for c := range n {
			nulls[def][c] = parquet.NullValue().Level(0, def, c)
		}
	}
	return nulls
}()

// emit emits the staged columns of the rows added, and forgets them. A
// value is set with its levels and column where it is stored: in this
// function the setters are inlined, and with constant arguments they are
// only stores.
func (r *ocsfRows) emit(e emitter) {
	n := len(r.staged)
	if n == 0 {
		return
	}
	var kinds [8][]parquet.Value
	for c := range kinds {
		kinds[c] = e.extend(c, n)
	}
	for i := range r.staged {
		k := &ocsfKinds[r.staged[i].kind]
		for c := range kinds {
			kinds[c][i] = k.vals[c]
		}
	}
	r.fill(e, 8, ocsfSeverityID)
	r.fill(e, 9, ocsfSeverity)
	times := e.extend(10, n)
	for i := range times {
		v := parquet.Int64Value(0)
		if t := &r.staged[i].vals[sEventTime]; !t.IsNull() {
			v = parquet.Int64Value(t.Int64())
		}
		v.SetColumnIndex(10)
		times[i] = v
	}
	r.copied(e, 11, sEventTime, 1, 0)
	status, ids := e.extend(12, n), e.extend(13, n)
	for i := range r.staged {
		st := &ocsfSuccess
		if r.staged[i].failed {
			st = &ocsfFailure
		}
		status[i], ids[i] = st[0], st[1]
	}
	// status_code and status_detail, with an errorCode.
	codes, details := e.extend(14, n), e.extend(15, n)
	for i := range codes {
		s := &r.staged[i]
		if code := s.vals[sErrorCode]; code.IsNull() {
			codes[i], details[i] = ocsfNulls[0][14], ocsfNulls[0][15]
		} else {
			code.SetDefinitionLevel(1)
			code.SetColumnIndex(14)
			codes[i] = code
			details[i] = ocsfNulls[0][15]
			if msg := s.vals[sErrorMessage]; !msg.IsNull() {
				msg.SetDefinitionLevel(1)
				msg.SetColumnIndex(15)
				details[i] = msg
			}
		}
	}

	// metadata
	r.fill(e, 16, ocsfProduct)
	r.fill(e, 17, ocsfVendor)
	r.copied(e, 18, sEventVersion, 1, 0)
	r.copied(e, 19, sEventCategory, 2, 0)
	profiles := e.extend(20, 2*n)
	for i := 0; i < len(profiles); i += 2 {
		profiles[i], profiles[i+1] = ocsfProfileVal[0], ocsfProfileVal[1]
	}
	r.copied(e, 21, sEventID, 1, 0)
	r.fill(e, 22, ocsfVersion)
	r.copied(e, 23, sEventType, 1, 0)

	// api
	ops := e.extend(44, n)
	for i := range ops {
		ops[i] = ocsfNoName
		if v := r.staged[i].vals[sEventName]; !v.IsNull() {
			v.SetDefinitionLevel(0)
			v.SetColumnIndex(44)
			ops[i] = v
		}
	}
	r.copied(e, 45, sApiVersion, 1, 0)
	r.copied(e, 46, sEventSource, 2, 0)
	reqs, params := e.extend(47, n), e.extend(48, n)
	for i := range reqs {
		s := &r.staged[i]
		if id := s.vals[sRequestID]; id.IsNull() {
			reqs[i], params[i] = ocsfNulls[0][47], ocsfNulls[0][48]
		} else {
			id.SetDefinitionLevel(1)
			id.SetColumnIndex(47)
			reqs[i] = id
			params[i] = ocsfNulls[1][48]
			if p := s.vals[sRequestParameters]; !p.IsNull() {
				p.SetDefinitionLevel(2)
				p.SetColumnIndex(48)
				params[i] = p
			}
		}
	}
	errs, msgs, elems := e.extend(49, n), e.extend(50, n), e.extend(51, n)
	for i := range errs {
		s := &r.staged[i]
		code, msg, el := s.vals[sErrorCode], s.vals[sErrorMessage], s.vals[sResponseElements]
		if code.IsNull() && msg.IsNull() && el.IsNull() {
			errs[i], msgs[i], elems[i] = ocsfNulls[0][49], ocsfNulls[0][50], ocsfNulls[0][51]
			continue
		}
		errs[i], msgs[i], elems[i] = ocsfNulls[1][49], ocsfNulls[1][50], ocsfNulls[1][51]
		if !code.IsNull() {
			code.SetDefinitionLevel(2)
			code.SetColumnIndex(49)
			errs[i] = code
		}
		if !msg.IsNull() {
			msg.SetDefinitionLevel(2)
			msg.SetColumnIndex(50)
			msgs[i] = msg
		}
		if !el.IsNull() {
			el.SetDefinitionLevel(2)
			el.SetColumnIndex(51)
			elems[i] = el
		}
	}

	// src_endpoint: an address, or a service's name.
	ips, domains := e.extend(52, n), e.extend(53, n)
	for i := range ips {
		s := &r.staged[i]
		ips[i], domains[i] = ocsfNulls[0][52], ocsfNulls[0][53]
		switch v := s.vals[sSourceIPAddress]; {
		case s.addr:
			v.SetDefinitionLevel(1)
			v.SetColumnIndex(52)
			ips[i] = v
		case !v.IsNull():
			v.SetDefinitionLevel(1)
			v.SetColumnIndex(53)
			domains[i] = v
		}
	}
	r.copied(e, 54, sVpcEndpointId, 1, 0)
	r.copied(e, 55, sUserAgent, 2, 0)

	// cloud
	r.fill(e, 56, ocsfProvider)
	r.copied(e, 57, sAwsRegion, 1, 0)
	r.copied(e, 58, sRecipientAccountId, 2, 0)

	clear(r.staged)
	r.staged = r.staged[:0]
}

// fill emits v, which has its levels, in column c of every row.
func (r *ocsfRows) fill(e emitter, c int, v parquet.Value) {
	out := e.extend(c, len(r.staged))
	for i := range out {
		out[i] = v
	}
}

// copied emits in column c the value of staged member m (an s* constant)
// of each row, at definition level def, or its null at level null.
func (r *ocsfRows) copied(e emitter, c, m, def, null int) {
	out := e.extend(c, len(r.staged))
	for i := range out {
		v := r.staged[i].vals[m]
		level := def
		if v.IsNull() {
			level = null
		}
		v.SetDefinitionLevel(level)
		v.SetColumnIndex(c)
		out[i] = v
	}
}

// extend adds n values to column c and returns them, to be set.
func (e emitter) extend(c, n int) []parquet.Value {
	col := slices.Grow(e.cols[c], n)
	e.cols[c] = col[:len(col)+n]
	return col[len(col) : len(col)+n]
}
