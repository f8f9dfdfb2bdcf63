package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/trail/httpaudit"
)

// The service: a small orders API whose every call is audited.
//
//	POST   /orders       create an order (JSON body: CreateOrderInput)
//	GET    /orders       list orders
//	GET    /orders/{id}  read an order
//	DELETE /orders/{id}  cancel an order

// CreateOrderInput is the body of POST /orders. The card number is needed
// to place the order but must never reach the audit trail: its tag hides it
// in requestParameters.
type CreateOrderInput struct {
	SKU        string `json:"sku"`
	Quantity   int    `json:"quantity"`
	CardNumber string `json:"cardNumber" trailkit:"sensitive"`
}

// Order is a placed order.
type Order struct {
	ID       string `json:"orderId"`
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Owner    string `json:"owner"`
	// PaymentToken is returned to the client once; the trail keeps it
	// hidden in responseElements.
	PaymentToken string `json:"paymentToken,omitempty" trailkit:"sensitive"`
}

type store struct {
	mu     sync.Mutex
	next   int
	orders map[string]Order
}

func newStore() *store { return &store{orders: map[string]Order{}} }

// routes returns the service's handlers on a ServeMux; its patterns name
// the events (POST /orders is PostOrders, GET /orders/{id} is GetOrdersId).
func routes(s *store) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", s.create)
	mux.HandleFunc("GET /orders", s.list)
	mux.HandleFunc("GET /orders/{id}", s.get)
	mux.HandleFunc("DELETE /orders/{id}", s.cancel)
	return mux
}

func (s *store) create(w http.ResponseWriter, r *http.Request) {
	user := userOf(r)
	if user == "" {
		httpaudit.SetError(r.Context(), "AccessDenied", "no credentials in the request")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var in CreateOrderInput
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		httpaudit.SetError(r.Context(), "ValidationException", "the body is not a valid order")
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if in.Quantity <= 0 || in.SKU == "" {
		httpaudit.SetError(r.Context(), "ValidationException", "sku and a positive quantity are required")
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.next++
	o := Order{ID: "o-" + strconv.Itoa(s.next), SKU: in.SKU, Quantity: in.Quantity, Owner: user,
		PaymentToken: fmt.Sprintf("tok_%08d", s.next)}
	s.orders[o.ID] = o
	s.mu.Unlock()
	// The order is also named among the record's resources.
	if rec := httpaudit.FromContext(r.Context()); rec != nil {
		rec.Resources = []event.Resource{{ARN: "arn:example:orders:::order/" + o.ID, Type: "Example::Orders::Order"}}
	}
	_ = httpaudit.SetResponse(r.Context(), o)
	writeJSON(w, http.StatusCreated, o)
}

func (s *store) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		o.PaymentToken = ""
		out = append(out, o)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *store) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.orders[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		httpaudit.SetError(r.Context(), "OrderNotFound", "order "+r.PathValue("id")+" does not exist")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	o.PaymentToken = ""
	writeJSON(w, http.StatusOK, o)
}

func (s *store) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	o, ok := s.orders[id]
	if ok && o.Owner == userOf(r) {
		delete(s.orders, id)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		httpaudit.SetError(r.Context(), "OrderNotFound", "order "+id+" does not exist")
		http.Error(w, "not found", http.StatusNotFound)
	case o.Owner != userOf(r):
		http.Error(w, "forbidden", http.StatusForbidden) // errorCode Forbidden, from the status
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// userOf returns the caller named by "Authorization: Bearer <user>". A real
// service verifies a token here; the example trusts it.
func userOf(r *http.Request) string {
	user, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(user)
}

// identity is the audit's view of the caller, in CloudTrail's terms.
func identity(accountID string) func(r *http.Request) *event.UserIdentity {
	return func(r *http.Request) *event.UserIdentity {
		user := userOf(r)
		if user == "" {
			return nil // recorded as type Unknown
		}
		return &event.UserIdentity{
			Type:        "IAMUser",
			PrincipalID: "user/" + user,
			ARN:         "arn:aws:iam::" + accountID + ":user/" + user,
			AccountID:   accountID,
			UserName:    user,
		}
	}
}
