package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/miniauth/miniauth/httpapi"
)

// Every answer a node gives the end-to-end tests is checked against the
// OpenAPI document (send, in helpers_test.go): its route and method are
// documented, its status is documented for them, and its body matches
// that status's schema. An answer to an undocumented route must be the
// contract's 404 not_found.

// openAPIValidator is one validator for the test binary: building it
// parses the document.
var openAPIValidator = sync.OnceValues(func() (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(httpapi.OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return v, nil
})

// reporter is what checkAnswer needs of a *testing.T.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// nodeOrigins are the scheme://host:port of the running test nodes: only
// their answers are miniauth's (not nginx's, nor a standalone simulator's).
var nodeOrigins sync.Map

// checkAnswer fails t when the answer to req does not match the document.
// The simulator (standing in for WeChat) and the dev mode's demo page are
// not in the document.
func checkAnswer(t reporter, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if _, ours := nodeOrigins.Load(req.URL.Scheme + "://" + req.URL.Host); !ours ||
		strings.HasPrefix(req.URL.Path, "/_wxsim/") || strings.HasPrefix(req.URL.Path, "/_demo/") {
		return
	}
	v, err := openAPIValidator()
	if err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ok, errs := v.ValidateHttpResponse(req, resp)
	if ok {
		return
	}
	for _, e := range errs {
		if e.IsPathMissingError() || e.IsOperationMissingError() {
			checkUnknownRoute(t, req, resp, body)
			continue
		}
		t.Errorf("%s %s answered %d %.300s, which the OpenAPI document does not allow: %s: %s",
			req.Method, req.URL.Path, resp.StatusCode, body, e.Message, reasons(e.Reason, e.SchemaValidationErrors))
	}
}

func reasons[F interface{ Error() string }](reason string, failures []F) string {
	out := []string{reason}
	for _, f := range failures {
		out = append(out, f.Error())
	}
	return strings.Join(out, "; ")
}

// checkUnknownRoute: a path or method no route has answers 404 not_found
// in the contract's shape, like any unknown object.
func checkUnknownRoute(t reporter, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("%s %s is no documented route, yet it answered %d %.300s", req.Method, req.URL.Path, resp.StatusCode, body)
		return
	}
	if req.Method == http.MethodHead {
		return
	}
	var answer struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&answer); err != nil || answer.Error.Code != "not_found" || answer.Error.Message == "" ||
		answer.Error.RequestID != resp.Header.Get("X-Request-Id") {
		t.Errorf("%s %s (no route) answered %.300s; want the contract's not_found (%v)", req.Method, req.URL.Path, body, err)
	}
}

// failures records what checkAnswer reports, to show that it can fail.
type failures struct{ errors []string }

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *failures) Fatalf(format string, args ...any) { f.Errorf(format, args...) }

// checkAnswer catches answers the document does not allow: a body off its
// schema, an undocumented status, an error code of another status, an
// unknown route that does not answer not_found.
func TestCheckAnswerCatchesWrongAnswers(t *testing.T) {
	const origin = "http://127.0.0.1:1"
	nodeOrigins.Store(origin, true)
	defer nodeOrigins.Delete(origin)
	jsonHeader := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}}
	tests := []struct {
		name, method, path string
		status             int
		body               string
		wantFailure        bool
	}{
		{"a good answer", "GET", "/healthz", 200, `{"status":"ok"}`, false},
		{"a field off the schema", "GET", "/healthz", 200, `{"state":"fine"}`, true},
		{"an undocumented status", "GET", "/healthz", 409, `{"error":{"code":"conflict","message":"m","request_id":"r1"}}`, true},
		{"the code of another status", "GET", "/api/v1/me", 401,
			`{"error":{"code":"conflict","message":"m","request_id":"r1"}}`, true},
		{"the error shape", "GET", "/api/v1/me", 401, `{"error":{"code":"unauthorized","message":"m","request_id":"r1"}}`, false},
		{"an unknown route answered 404", "GET", "/nope", 404, `{"error":{"code":"not_found","message":"m","request_id":"r1"}}`, false},
		{"an unknown route answered 200", "GET", "/nope", 200, `{}`, true},
		{"an unknown method", "DELETE", "/healthz", 404, `{"error":{"code":"not_found","message":"m","request_id":"r1"}}`, false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, origin+tt.path, nil)
		resp := &http.Response{StatusCode: tt.status, Header: jsonHeader, Request: req}
		var f failures
		checkAnswer(&f, req, resp, []byte(tt.body))
		if failed := len(f.errors) > 0; failed != tt.wantFailure {
			t.Errorf("%s: failed %v, want %v (%v)", tt.name, failed, tt.wantFailure, f.errors)
		}
	}
}

// A dev node serves the document and its HTML rendering.
func TestOpenAPIAndDocsServed(t *testing.T) {
	n := startTestNode(t)
	r := call(t, "GET", n.URL+"/openapi.json", "", nil)
	if r.status != 200 || !bytes.Equal(r.body, httpapi.OpenAPIDocument()) || r.header.Get("ETag") == "" {
		t.Errorf("GET /openapi.json: %d %v", r.status, r.header)
	}
	d := call(t, "GET", n.URL+"/docs", "", nil)
	if d.status != 200 || !bytes.Contains(d.body, []byte("/api/v1/auth/login")) {
		t.Errorf("GET /docs: %d", d.status)
	}
}
