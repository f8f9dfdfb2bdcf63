package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

// TestServiceAuditTrail drives the service with real HTTP requests and reads
// the records back from the log files the trail delivered to disk.
func TestServiceAuditTrail(t *testing.T) {
	dir := t.TempDir()
	svc, err := New(Config{Dir: dir, AccountID: "111122223333", Region: "eu-west-1", Flush: time.Minute})
	require.NoError(t, err)
	srv := httptest.NewServer(svc.Handler)

	do := func(method, path, user, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if user != "" {
			req.Header.Set("Authorization", "Bearer "+user)
		}
		req.Header.Set("User-Agent", "orders-test/1.0")
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	const card = "4111111111111111"
	require.Equal(t, 201, do("POST", "/orders", "alice", `{"sku":"A-17","quantity":2,"cardNumber":"`+card+`"}`))
	require.Equal(t, 401, do("POST", "/orders", "", `{"sku":"A-17","quantity":1}`))
	require.Equal(t, 400, do("POST", "/orders", "alice", `{"sku":`))
	require.Equal(t, 200, do("GET", "/orders/o-1", "bob", ""))
	require.Equal(t, 404, do("GET", "/orders/o-999", "bob", ""))
	require.Equal(t, 403, do("DELETE", "/orders/o-1", "bob", ""))
	require.Equal(t, 204, do("DELETE", "/orders/o-1", "alice", ""))
	require.Equal(t, 200, do("GET", "/orders", "alice", ""))
	srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, svc.Close(ctx))
	st := svc.audit.Stats()
	assert.Equal(t, uint64(8), st.Emitted)
	assert.Zero(t, st.Failed+st.Dropped)
	assert.Equal(t, uint64(1), st.DecodeErrors, "the truncated JSON body")

	// The files: CloudTrail's layout, read back with event.Read.
	keyPattern := regexp.MustCompile(`^AWSLogs/111122223333/CloudTrail/eu-west-1/\d{4}/\d{2}/\d{2}/111122223333_CloudTrail_eu-west-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)
	var recs []*event.Record
	var raw bytes.Buffer
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json.gz") || strings.Contains(path, "/.metadata/") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		assert.Regexp(t, keyPattern, filepath.ToSlash(rel))
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		for rec, err := range event.Read(f) {
			require.NoError(t, err)
			recs = append(recs, rec)
		}
		// And the file's bytes as delivered, for what must not be in them.
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		zr, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		_, err = io.Copy(&raw, zr)
		return err
	})
	require.NoError(t, err)
	require.Len(t, recs, 8)
	assert.NotContains(t, raw.String(), card, "the card number never reaches the trail")
	assert.NotContains(t, raw.String(), "tok_", "nor the payment token")

	find := func(name, errorCode string) *event.Record {
		t.Helper()
		for _, r := range recs {
			if r.EventName == name && r.ErrorCode == errorCode {
				return r
			}
		}
		t.Fatalf("no %s record with errorCode %q", name, errorCode)
		return nil
	}
	for _, r := range recs {
		assert.NoError(t, r.Validate())
		assert.Equal(t, "orders.example.com", r.EventSource)
		assert.Equal(t, "eu-west-1", r.AWSRegion)
		assert.Equal(t, "111122223333", r.RecipientAccountID)
		assert.Equal(t, "127.0.0.1", r.SourceIPAddress)
		assert.Equal(t, "orders-test/1.0", r.UserAgent)
		assert.Equal(t, "1.11", r.EventVersion)
		assert.Equal(t, event.TypeAPICall, r.EventType)
		assert.NotEmpty(t, r.RequestID)
	}

	created := find("PostOrders", "")
	assert.Equal(t, "alice", created.UserIdentity.UserName)
	assert.Equal(t, "arn:aws:iam::111122223333:user/alice", created.UserIdentity.ARN)
	assert.False(t, *created.ReadOnly)
	assert.Equal(t, `{"sku":"A-17","quantity":2,"cardNumber":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, string(created.RequestParameters))
	assert.Equal(t, `{"orderId":"o-1","sku":"A-17","quantity":2,"owner":"alice","paymentToken":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, string(created.ResponseElements))
	require.Len(t, created.Resources, 1)
	assert.Equal(t, "arn:example:orders:::order/o-1", created.Resources[0].ARN)

	denied := find("PostOrders", "AccessDenied")
	assert.Equal(t, "Unknown", denied.UserIdentity.Type)
	assert.Nil(t, denied.ResponseElements)

	invalid := find("PostOrders", "ValidationException")
	assert.Equal(t, "null", string(invalid.RequestParameters), "a body that does not decode gives no parameters")

	read := find("GetOrdersId", "")
	assert.True(t, *read.ReadOnly)
	assert.Equal(t, `{"id":"o-1"}`, string(read.RequestParameters))
	assert.Equal(t, "bob", read.UserIdentity.UserName)

	missing := find("GetOrdersId", "OrderNotFound")
	assert.Equal(t, "order o-999 does not exist", missing.ErrorMessage)

	forbidden := find("DeleteOrdersId", "Forbidden")
	assert.Equal(t, "bob", forbidden.UserIdentity.UserName)
	find("DeleteOrdersId", "")
	find("GetOrders", "")
}
