package httpaudit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/trail/httpaudit"
)

// printEmitter stands in for a *trail.Trail.
type printEmitter struct{}

func (printEmitter) Emit(ctx context.Context, r *event.Record) error {
	fmt.Printf("%s %s readOnly=%v user=%q\n  requestParameters=%s responseElements=%s errorCode=%q\n",
		r.EventSource, r.EventName, *r.ReadOnly, r.UserIdentity.UserName,
		r.RequestParameters, r.ResponseElements, r.ErrorCode)
	return nil
}

func Example() {
	type createUser struct {
		UserName string `json:"userName"`
		Password string `json:"password" trailkit:"sensitive"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		var in createUser
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil { // the decoder sees what this reads
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_ = httpaudit.SetResponse(r.Context(), map[string]string{"userId": "u-42"})
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	})

	audit, err := httpaudit.New(httpaudit.Options{
		Emitter:           printEmitter{},
		EventSource:       "users.example.com",
		Region:            "eu-west-1",
		AccountID:         "111122223333",
		RequestParameters: httpaudit.Merge(httpaudit.PathValues(), httpaudit.Typed[createUser]()),
		Identity: func(r *http.Request) *event.UserIdentity {
			return &event.UserIdentity{Type: "IAMUser", UserName: r.Header.Get("X-User")}
		},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(audit.Wrap(mux))
	defer srv.Close()

	req, err := http.NewRequest("POST", srv.URL+"/users", strings.NewReader(`{"userName":"bob","password":"hunter2"}`))
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-User", "alice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL + "/users/u-7")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	if err := audit.Close(context.Background()); err != nil { // emits what is queued
		panic(err)
	}
	// Output:
	// users.example.com PostUsers readOnly=false user="alice"
	//   requestParameters={"userName":"bob","password":"HIDDEN_DUE_TO_SECURITY_REASONS"} responseElements={"userId":"u-42"} errorCode=""
	// users.example.com GetUsersId readOnly=true user=""
	//   requestParameters={"id":"u-7"} responseElements= errorCode="NotFound"
}

func ExampleEventName() {
	fmt.Println(httpaudit.EventName("GET", "GET /orders/{id}"))
	fmt.Println(httpaudit.EventName("POST", "/orders/{id}/line-items"))
	fmt.Println(httpaudit.EventName("GET", ""))
	// Output:
	// GetOrdersId
	// PostOrdersIdLineItems
	// Get
}

func ExampleSetError() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		httpaudit.SetError(r.Context(), "OrderNotFound", "order 17 does not exist")
		http.Error(w, "no such order", http.StatusNotFound)
	}
	_ = handler
}
