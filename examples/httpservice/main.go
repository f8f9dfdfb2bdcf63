// Command httpservice is a small HTTP service that keeps a CloudTrail-style
// audit trail of its own API: every request becomes a record, delivered as
// CloudTrail log files under a directory
// (DIR/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/…json.gz), which any
// CloudTrail tool, and trailkit cat, can read.
//
//	httpservice -addr :8080 -dir ./trail -account 111122223333 -region eu-west-1
//	curl -H 'Authorization: Bearer alice' -d '{"sku":"A-17","quantity":2,"cardNumber":"4111111111111111"}' localhost:8080/orders
//	trailkit cat ./trail
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
	"github.com/trailkit/trailkit/trail/httpaudit"
)

// Config is the service's configuration.
type Config struct {
	Dir       string        // where log files are delivered
	AccountID string        // 12-digit account the records belong to
	Region    string        // the service's region
	Flush     time.Duration // how often log files are cut (CloudTrail: 5 minutes)
}

// Service is the orders API with its audit trail.
type Service struct {
	Handler http.Handler
	audit   *httpaudit.Middleware
	trail   *trail.Trail
}

// New builds the service: a trail delivering to cfg.Dir, the audit
// middleware emitting to it, and the API behind the middleware.
func New(cfg Config) (*Service, error) {
	dir, err := sink.NewDir(cfg.Dir, sink.DirOptions{Fsync: true})
	if err != nil {
		return nil, err
	}
	tr, err := trail.New(trail.Config{
		Name:       "orders-audit",
		AccountID:  cfg.AccountID,
		HomeRegion: cfg.Region,
		Delivery:   trail.DeliveryOptions{Sinks: []sink.Sink{dir}},
		Files:      trail.FileOptions{FlushInterval: cfg.Flush},
	})
	if err != nil {
		return nil, err
	}
	audit, err := httpaudit.New(httpaudit.Options{
		Emitter:           tr,
		EventSource:       "orders.example.com",
		Region:            cfg.Region,
		AccountID:         cfg.AccountID,
		Identity:          identity(cfg.AccountID),
		RequestParameters: httpaudit.Merge(httpaudit.PathValues(), httpaudit.Typed[CreateOrderInput]()),
		OnError: func(err *httpaudit.Error) {
			log.Printf("audit: %v", err) // counted in audit.Stats() too
		},
	})
	if err != nil {
		_ = tr.Close(context.Background())
		return nil, err
	}
	return &Service{Handler: audit.Wrap(routes(newStore())), audit: audit, trail: tr}, nil
}

// Close emits the audit records still queued and delivers every pending log
// file.
func (s *Service) Close(ctx context.Context) error {
	return errors.Join(s.audit.Close(ctx), s.trail.Close(ctx))
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	var cfg Config
	flag.StringVar(&cfg.Dir, "dir", "trail", "directory the log files are delivered to")
	flag.StringVar(&cfg.AccountID, "account", "111122223333", "account id of the records")
	flag.StringVar(&cfg.Region, "region", "eu-west-1", "region of the service")
	flag.DurationVar(&cfg.Flush, "flush", trail.DefaultFlushInterval, "how often log files are cut")
	flag.Parse()
	if err := run(*addr, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "httpservice:", err)
		os.Exit(1)
	}
}

func run(addr string, cfg Config) error {
	svc, err := New(cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: svc.Handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("listening on %s, delivering to %s", addr, cfg.Dir)
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Stop taking requests, then deliver what they left.
	return errors.Join(err, srv.Shutdown(shutdown), svc.Close(shutdown))
}
