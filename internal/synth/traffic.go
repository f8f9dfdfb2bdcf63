package synth

import (
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
)

// Weighted is a value chosen with a probability proportional to Weight.
type Weighted struct {
	Value  string
	Weight float64
}

// API is the steady traffic of one API.
type API struct {
	Source, Name   string
	ReadOnly, Data bool
	Rate           float64 // mean calls per minute
	ErrRate        float64 // share of calls that fail, with ErrCode
	ErrCode        string
	Users, Agents  []Weighted // identity ARNs and user agents of the calls
}

// Burst adds calls of one of the APIs for a while: a spike, or with
// ErrCode an error storm.
type Burst struct {
	Source, Name string
	From         time.Time
	Minutes      int
	Rate         float64 // extra calls per minute
	ErrCode      string  // "" for calls that succeed
	User, Agent  string
}

// Traffic generates per-minute traffic for CloudTrail Insights, which
// analyses call and error rates per minute: Poisson counts around rates
// that follow the time of day (±30%), callers and agents with skewed
// weights, a small share of failed calls, and bursts on top. It is
// deterministic for a seed.
type Traffic struct {
	Account, Region string
	APIs            []API
	Bursts          []Burst

	rng *rand.Rand
	rec []*event.Record // the records of the current minute, reused
	n   int
}

// NewTraffic returns the traffic of apis and bursts in an account's region.
func NewTraffic(seed uint64, account, region string, apis []API, bursts ...Burst) *Traffic {
	return &Traffic{Account: account, Region: region, APIs: apis, Bursts: bursts, rng: rand.New(rand.NewPCG(seed, seed+1))}
}

// Minute returns the records of the minute starting at m, shuffled. They
// are valid until the next call.
func (tr *Traffic) Minute(m time.Time) []*event.Record {
	tr.n = 0
	hour := float64(m.Hour()) + float64(m.Minute())/60
	daily := 1 + 0.3*math.Sin(2*math.Pi*(hour-8)/24)
	for _, a := range tr.APIs {
		for range poisson(tr.rng, a.Rate*daily) {
			code := ""
			if tr.rng.Float64() < a.ErrRate {
				code = a.ErrCode
			}
			tr.fill(tr.record(m), a, pick(tr.rng, a.Users), pick(tr.rng, a.Agents), code)
		}
	}
	for _, b := range tr.Bursts {
		if m.Before(b.From) || !m.Before(b.From.Add(time.Duration(b.Minutes)*time.Minute)) {
			continue
		}
		a := tr.api(b.Source, b.Name)
		for range poisson(tr.rng, b.Rate) {
			tr.fill(tr.record(m), a, b.User, b.Agent, b.ErrCode)
		}
	}
	out := tr.rec[:tr.n]
	tr.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// record returns the next record of the minute m, reset.
func (tr *Traffic) record(m time.Time) *event.Record {
	if tr.n == len(tr.rec) {
		tr.rec = append(tr.rec, &event.Record{UserIdentity: &event.UserIdentity{}})
	}
	r := tr.rec[tr.n]
	tr.n++
	ui := r.UserIdentity
	*ui = event.UserIdentity{AccountID: tr.Account}
	*r = event.Record{
		EventVersion: "1.11", EventID: tr.eventID(), UserIdentity: ui,
		AWSRegion: tr.Region, SourceIPAddress: "203.0.113.7",
		EventType: event.TypeAPICall, RecipientAccountID: tr.Account,
		EventTime: m.Add(time.Duration(tr.rng.IntN(60)) * time.Second),
	}
	return r
}

func (tr *Traffic) fill(r *event.Record, a API, user, agent, errCode string) {
	r.EventSource, r.EventName = a.Source, a.Name
	r.ReadOnly = event.Bool(a.ReadOnly)
	r.ManagementEvent = event.Bool(!a.Data)
	r.EventCategory = event.CategoryManagement
	if a.Data {
		r.EventCategory = event.CategoryData
	}
	r.UserIdentity.Type = "IAMUser"
	if strings.Contains(user, ":assumed-role/") {
		r.UserIdentity.Type = "AssumedRole"
	}
	r.UserIdentity.ARN, r.UserAgent, r.ErrorCode = user, agent, errCode
}

// eventID is a random UUID (version 4) from the traffic's generator.
func (tr *Traffic) eventID() string {
	var b [16]byte
	for i := range 2 {
		u := tr.rng.Uint64()
		for j := range 8 {
			b[8*i+j] = byte(u >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:], b[10:])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return string(s[:])
}

func (tr *Traffic) api(source, name string) API {
	for _, a := range tr.APIs {
		if a.Source == source && a.Name == name {
			return a
		}
	}
	panic("synth: a burst of an API without traffic: " + source + " " + name)
}

func pick(rng *rand.Rand, list []Weighted) string {
	total := 0.0
	for _, w := range list {
		total += w.Weight
	}
	x := rng.Float64() * total
	for _, w := range list {
		if x < w.Weight {
			return w.Value
		}
		x -= w.Weight
	}
	return list[len(list)-1].Value
}

// poisson draws from a Poisson distribution of the mean: by counting
// uniform draws for small means, by its normal approximation above 30.
func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
