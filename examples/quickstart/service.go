package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/trailkit/trailkit/event"
)

// service is the pretend orders.example.com: a few users calling its API,
// some of them denied. It is seeded, so every run tells the same story.
type service struct {
	rnd    *rand.Rand
	orders int // orders created so far
}

type user struct {
	name, ip, accessKey string
	readOnly            bool // denied every call that changes an order
	mayCancel           bool
}

var users = []user{
	{name: "alice", ip: "198.51.100.10", accessKey: "AKIAEXAMPLEALICE0001", mayCancel: true},
	{name: "bob", ip: "198.51.100.23", accessKey: "AKIAEXAMPLEBOB000002"},
	{name: "carol", ip: "203.0.113.40", accessKey: "AKIAEXAMPLECAROL0003", readOnly: true},
	{name: "dave", ip: "192.0.2.77", accessKey: "AKIAEXAMPLEDAVE00004", mayCancel: true},
}

// actions and their share of the calls, in percent.
var actions = []struct {
	name     string
	readOnly bool
	percent  int
}{
	{"GetOrder", true, 40},
	{"ListOrders", true, 25},
	{"CreateOrder", false, 20},
	{"CancelOrder", false, 10},
	{"UpdateOrder", false, 5},
}

func newService(rnd *rand.Rand) *service { return &service{rnd: rnd, orders: 1000} }

// pause is the time until the next call: 20 to 60 seconds.
func (s *service) pause() time.Duration { return time.Duration(20+s.rnd.IntN(41)) * time.Second }

// call returns the record of one call made at now.
func (s *service) call(now time.Time) *event.Record {
	u := users[s.rnd.IntN(len(users))]
	n := s.rnd.IntN(100)
	a := actions[0]
	for _, a = range actions {
		if n < a.percent {
			break
		}
		n -= a.percent
	}

	r := &event.Record{
		EventSource:     "orders.example.com",
		EventName:       a.name,
		AWSRegion:       region,
		SourceIPAddress: u.ip,
		UserAgent:       "orders-cli/1.4 go1.26",
		ReadOnly:        event.Bool(a.readOnly),
		UserIdentity: &event.UserIdentity{
			Type:        "IAMUser",
			PrincipalID: "AIDAEXAMPLE" + u.accessKey[len(u.accessKey)-4:],
			ARN:         "arn:aws:iam::" + accountID + ":user/" + u.name,
			AccountID:   accountID,
			AccessKeyID: u.accessKey,
			UserName:    u.name,
		},
	}
	order := fmt.Sprintf("o-%d", 1001+s.rnd.IntN(s.orders-999))
	switch a.name {
	case "ListOrders":
		r.RequestParameters = []byte(`{"maxResults":20}`)
	case "CreateOrder":
		r.RequestParameters = fmt.Appendf(nil, `{"sku":"SKU-%03d","quantity":%d}`, s.rnd.IntN(200), 1+s.rnd.IntN(5))
	default:
		r.RequestParameters = fmt.Appendf(nil, `{"orderId":%q}`, order)
	}

	denied := !a.readOnly && u.readOnly || a.name == "CancelOrder" && !u.mayCancel
	switch {
	case denied:
		r.ErrorCode = "AccessDenied"
		r.ErrorMessage = fmt.Sprintf("User: %s is not authorized to perform: orders:%s", r.UserIdentity.ARN, a.name)
	case a.name == "GetOrder" && s.rnd.IntN(20) == 0:
		r.ErrorCode = "OrderNotFound"
		r.ErrorMessage = "Order " + order + " does not exist"
	case a.name == "CreateOrder":
		s.orders++
		r.ResponseElements = fmt.Appendf(nil, `{"orderId":"o-%d"}`, s.orders)
	}
	// Fill sets what CloudTrail sets itself: eventVersion, eventID,
	// eventTime, eventType, eventCategory, recipientAccountId.
	r.Fill(accountID, now)
	return r
}
