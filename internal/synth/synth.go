// Package synth generates realistic CloudTrail records for benchmarks and
// tests: a mix of management and data events from several services, with
// identities, request parameters and response elements of the sizes real
// records have (1 KB to 9 KB, most near 1.6 KB: 200,000 records make about
// 335 MB of JSON), naming the account's resources again and again, as real
// trails do (TestFreeFormAsRealTrails compares them with the real records
// of internal/testdata/corpus).
package synth

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
)

// Version changes whenever the generator's output does, so that files
// cached from an earlier generator are not mistaken for current ones.
const Version = 4

// The principals of the generated account: users, each working through a
// role of their own most of the time, and buckets.
const (
	users   = 200
	roles   = 30
	buckets = 20
)

// The resources the account's calls name. Real trails name an account's
// own instances, keys, tables, functions and objects, call after call, a
// few of them most of the time: each API draws from a pool of its own
// with a Zipf distribution, whose resources are now and then replaced by
// new ones; an object key names one of a few datasets and a numbered part,
// as the writers of a data lake name them, and PutObject writes the next
// part. The sizes were chosen by TestFreeFormAsRealTrails alone.
const (
	poolSize = 1000 // resources per API
	objects  = 2000
	zipfS    = 1.1 // the skew of both: s and v of rand.Zipf
	zipfV    = 50
	churn    = 50
)

// datasets are the first parts of object keys.
var datasets = []string{"events", "orders", "clicks", "billing", "metrics", "audit", "users", "sessions"}

// Generator makes records deterministically from a seed.
type Generator struct {
	rng     *rand.Rand
	t       time.Time
	Account string
	Region  string
	gap     time.Duration // mean time between records; 300 ms when zero

	roleIDs  []string // IAM's unique id of each role
	buckets  []string
	sessions map[string]*session // by role and user

	pools   map[string]*pool // by API name
	objects *pool            // objects, their keys in id
	parts   []int            // the parts PutObject wrote, by dataset
}

// A resource is one the account's calls name: its name, id, size and
// setting are its own, the same in every call that names it.
type resource struct {
	name    int // of 50 tags
	id      string
	size    int
	enabled bool
}

// A pool is resources drawn with a Zipf distribution, the first most
// often. Accounts create and delete resources: one draw in churn finds its
// resource replaced by a new one.
type pool struct {
	res  []resource
	zipf *rand.Zipf
	mk   func() resource
}

func (g *Generator) draw(p *pool) resource {
	i := p.zipf.Uint64()
	if g.rng.IntN(churn) == 0 {
		p.res[i] = p.mk()
	}
	return p.res[i]
}

// newPool returns a pool of n resources made by mk.
func (g *Generator) newPool(n int, mk func() resource) *pool {
	p := &pool{zipf: rand.NewZipf(g.rng, zipfS, zipfV, uint64(n-1)), mk: mk}
	for range n {
		p.res = append(p.res, mk())
	}
	return p
}

// A session is a role assumed by a user: its temporary credentials serve
// every call for an hour (STS's default duration), then the user assumes
// the role again.
type session struct {
	key   string
	start time.Time
}

// New returns a Generator whose records start at start.
func New(seed uint64, start time.Time) *Generator {
	g := &Generator{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		t:        start.UTC().Truncate(time.Second),
		Account:  "123456789012",
		Region:   "us-east-1",
		sessions: map[string]*session{},
	}
	for range roles {
		g.roleIDs = append(g.roleIDs, "AROA"+g.upper(17))
	}
	for range buckets {
		g.buckets = append(g.buckets, "bucket-"+g.hex(6))
	}
	g.pools = map[string]*pool{}
	for _, a := range apis {
		g.pools[a.name] = g.newPool(poolSize, func() resource {
			return resource{name: g.rng.IntN(50), id: g.hex(24), size: g.size(), enabled: g.rng.IntN(2) == 0}
		})
	}
	g.parts = make([]int, len(datasets))
	g.objects = g.newPool(objects, func() resource { return resource{id: g.newObject()} })
	return g
}

// session returns the session of user in role at the generator's time.
func (g *Generator) session(user, role int) *session {
	k := fmt.Sprint(user, "/", role)
	s := g.sessions[k]
	if s == nil || g.t.Sub(s.start) >= time.Hour {
		s = &session{key: "ASIA" + g.upper(16), start: g.t}
		g.sessions[k] = s
	}
	return s
}

type api struct {
	source, name string
	readOnly     bool
	data         bool
	resType      string
}

var apis = []api{
	{"s3.amazonaws.com", "GetObject", true, true, "AWS::S3::Object"},
	{"s3.amazonaws.com", "PutObject", false, true, "AWS::S3::Object"},
	{"s3.amazonaws.com", "ListBuckets", true, false, ""},
	{"ec2.amazonaws.com", "DescribeInstances", true, false, ""},
	{"ec2.amazonaws.com", "RunInstances", false, false, ""},
	{"iam.amazonaws.com", "CreateUser", false, false, ""},
	{"iam.amazonaws.com", "AttachRolePolicy", false, false, ""},
	{"sts.amazonaws.com", "AssumeRole", true, false, ""},
	{"kms.amazonaws.com", "Decrypt", true, false, "AWS::KMS::Key"},
	{"lambda.amazonaws.com", "Invoke", false, true, "AWS::Lambda::Function"},
	{"dynamodb.amazonaws.com", "GetItem", true, true, "AWS::DynamoDB::Table"},
	{"signin.amazonaws.com", "ConsoleLogin", false, false, ""},
}

var agents = []string{
	"aws-cli/2.15.30 Python/3.11.8 Linux/5.10.210-201.852.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/s3.cp",
	"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.171.0",
	"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4",
	"console.amazonaws.com",
	"lambda.amazonaws.com",
}

// Record returns the next record. Records advance in time by a few
// hundred milliseconds on average.
func (g *Generator) Record() *event.Record {
	a := apis[g.rng.IntN(len(apis))]
	if g.gap > 0 {
		g.t = g.t.Add(time.Duration(g.rng.Int64N(2 * int64(g.gap))))
	} else {
		g.t = g.t.Add(time.Duration(g.rng.IntN(600)) * time.Millisecond)
	}
	u := g.rng.IntN(users)
	ri := u % roles // the user's own role, but one call in ten
	if g.rng.IntN(10) == 0 {
		ri = g.rng.IntN(roles)
	}
	sess := g.session(u, ri)
	user := fmt.Sprintf("user-%03d", u)
	role := fmt.Sprintf("role-%02d", ri)
	r := &event.Record{
		EventVersion: "1.09",
		UserIdentity: &event.UserIdentity{
			Type:        "AssumedRole",
			PrincipalID: g.roleIDs[ri] + ":" + user,
			ARN:         "arn:aws:sts::" + g.Account + ":assumed-role/" + role + "/" + user,
			AccountID:   g.Account,
			AccessKeyID: sess.key,
			SessionContext: &event.SessionContext{
				SessionIssuer: &event.SessionIssuer{
					Type: "Role", PrincipalID: g.roleIDs[ri],
					ARN:       "arn:aws:iam::" + g.Account + ":role/" + role,
					AccountID: g.Account, UserName: role,
				},
				Attributes: &event.SessionAttributes{
					CreationDate:     sess.start.Format(event.TimeLayout),
					MFAAuthenticated: "false",
				},
			},
		},
		EventTime:          g.t.Truncate(time.Second),
		EventSource:        a.source,
		EventName:          a.name,
		AWSRegion:          g.Region,
		SourceIPAddress:    fmt.Sprintf("203.0.113.%d", g.rng.IntN(255)),
		UserAgent:          agents[g.rng.IntN(len(agents))],
		RequestID:          g.uuid(),
		EventID:            g.uuid(),
		ReadOnly:           event.Bool(a.readOnly),
		EventType:          event.TypeAPICall,
		ManagementEvent:    event.Bool(!a.data),
		RecipientAccountID: g.Account,
		EventCategory:      map[bool]string{true: event.CategoryData, false: event.CategoryManagement}[a.data],
		TLSDetails: &event.TLSDetails{
			TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			ClientProvidedHostHeader: strings.Replace(a.source, "amazonaws.com", g.Region+".amazonaws.com", 1),
		},
	}
	if a.resType != "" {
		r.Resources = []event.Resource{{
			Type: a.resType, AccountID: g.Account,
			ARN: "arn:aws:" + strings.SplitN(a.source, ".", 2)[0] + ":" + g.Region + ":" + g.Account + ":res/" + g.draw(g.pools[a.name]).id[:12],
		}}
	}
	if g.rng.IntN(20) == 0 {
		r.ErrorCode, r.ErrorMessage = "AccessDenied", "User: "+r.UserIdentity.ARN+" is not authorized to perform: "+a.name
	}
	r.RequestParameters = g.params(a, true)
	r.ResponseElements = json.RawMessage("null")
	if !a.readOnly && r.ErrorCode == "" {
		r.ResponseElements = g.params(a, false)
	}
	return r
}

// params makes a free-form object of a few hundred bytes, most of the time.
// One request in a hundred carries a large one (3.5 to 7.5 KB, as a policy
// document or a batch request does), which gives records of up to about
// 9 KB.
func (g *Generator) params(a api, request bool) json.RawMessage {
	n := min(int(g.rng.ExpFloat64()*2.4), 30)
	if request && g.rng.IntN(100) == 0 {
		n = 35 + g.rng.IntN(40)
	}
	var b strings.Builder
	b.WriteString(`{"bucketName":"`)
	b.WriteString(g.buckets[g.rng.IntN(len(g.buckets))])
	b.WriteString(`","key":"`)
	if a.name == "PutObject" {
		b.WriteString(g.newObject())
	} else {
		b.WriteString(g.draw(g.objects).id)
	}
	b.WriteString(`"`)
	p := g.pools[a.name]
	for i := range n {
		r := g.draw(p)
		fmt.Fprintf(&b, `,"%sAttribute%d":{"name":"tag-%d","value":"%s","size":%d,"enabled":%t}`,
			strings.ToLower(a.name[:1])+a.name[1:], i, r.name, r.id, r.size, r.enabled)
	}
	b.WriteString("}")
	return json.RawMessage(b.String())
}

// newObject returns the key of a new object: the next part of a dataset.
func (g *Generator) newObject() string {
	d := g.rng.IntN(len(datasets))
	g.parts[d]++
	return fmt.Sprintf("data/%s/part-%05d.parquet", datasets[d], g.parts[d])
}

// size returns a resource's size in bytes, below 1 MiB: log-normal, as
// object and item sizes are, around 20 KB.
func (g *Generator) size() int {
	return min(int(math.Exp(10+1.5*g.rng.NormFloat64())), 1<<20-1)
}

func (g *Generator) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

// upper returns n random characters of IAM's ids (upper case letters and
// digits).
func (g *Generator) upper(n int) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(len(digits))]
	}
	return string(b)
}

func (g *Generator) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(12)
}

// WriteLogFile writes n records as one gzipped CloudTrail log file.
func (g *Generator) WriteLogFile(w io.Writer, n int) error {
	lw, err := event.NewLogWriter(w, event.LogWriterOptions{})
	if err != nil {
		return err
	}
	for range n {
		if err := lw.Write(g.Record()); err != nil {
			return err
		}
	}
	return lw.Close()
}
