package httpapi

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// newFullServer registers every route there is: the admin API, the
// console, the simulator, the dev mode's demo and docs pages.
func newFullServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(Options{AdminToken: "admin-token-for-tests-0123456789abcdef", Console: http.NotFoundHandler(),
		Simulator: http.NotFoundHandler(), Demo: true, Docs: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// undocumented are the routes the document leaves out on purpose, each
// with its reason. Every other route must be in it.
func undocumented(method, path string) bool {
	switch {
	case strings.HasPrefix(path, "/_wxsim/"): // the simulator stands in for WeChat's API, not ours (dev mode)
		return true
	case strings.HasPrefix(path, "/_demo/"): // a page to try scan to log in (dev mode)
		return true
	case method == http.MethodConnect: // verify answers every method, but OpenAPI 3.1 has no CONNECT
		return true
	}
	return false
}

var ginParam = regexp.MustCompile(`[:*]([a-z_]+)`)

// The document describes exactly the router's routes: a route added
// without a description, or a description left after its route went,
// fails here.
func TestOpenAPIPathsAreTheRoutes(t *testing.T) {
	s := newFullServer(t)
	routes := map[string]bool{}
	for _, r := range s.engine.Routes() {
		if !undocumented(r.Method, r.Path) {
			routes[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, r := range sortedKeys(routes) {
		if !described[r] {
			t.Errorf("route %s is not in the OpenAPI document (httpapi/openapi_paths_*.go)", r)
		}
	}
	for _, d := range sortedKeys(described) {
		if !routes[d] {
			t.Errorf("the OpenAPI document describes %s, which is no route", d)
		}
	}
	if len(routes) < 70 {
		t.Errorf("only %d routes compared", len(routes))
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The document is valid OpenAPI 3.1: libopenapi builds its model without
// an error, and the validator finds nothing wrong with it.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("libopenapi: %v", err)
	}
	if model.Model.Version != "3.1.0" {
		t.Errorf("version %q", model.Model.Version)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("%s: %s", e.Message, e.Reason)
		}
	}
}

// Each error status's answer names exactly the codes of the one table.
func TestOpenAPIErrorCodesAreTheTable(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties struct {
					Error struct {
						AllOf []struct {
							Properties struct {
								Code struct {
									Enum []string `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"allOf"`
					} `json:"error"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	for code, status := range statusOf {
		if status == statusClientClosedRequest {
			continue
		}
		s, ok := doc.Components.Schemas[errorSchemaName(status)]
		if !ok || len(s.Properties.Error.AllOf) != 2 || !slices.Contains(s.Properties.Error.AllOf[1].Properties.Code.Enum, code) {
			t.Errorf("%s (%d) is not among the codes of %s", code, status, errorSchemaName(status))
		}
	}
}

func TestOpenAPIServedOnceWithCaching(t *testing.T) {
	s := newFullServer(t)
	w := serve(s, "GET", "/openapi.json", nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != string(OpenAPIDocument()) {
		t.Fatalf("GET /openapi.json: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	etag := w.Header().Get("ETag")
	if etag == "" || w.Header().Get("Cache-Control") != openAPICacheControl {
		t.Errorf("caching headers: %v", w.Header())
	}
	if &OpenAPIDocument()[0] != &OpenAPIDocument()[0] {
		t.Error("the document is built again for every request")
	}
	if w := serve(s, "GET", "/openapi.json", http.Header{"If-None-Match": {etag}}); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-None-Match with the ETag: %d", w.Code)
	}
	if w := serve(s, "HEAD", "/openapi.json", nil); w.Code != 200 {
		t.Errorf("HEAD: %d", w.Code)
	}
}

func TestDocsPageShowsEveryPath(t *testing.T) {
	w := serve(newFullServer(t), "GET", "/docs", nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
	body := w.Body.String()
	if strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Error("the page loads something: script or another origin")
	}
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	json.Unmarshal(OpenAPIDocument(), &doc)
	for path := range doc.Paths {
		if !strings.Contains(body, "</span> "+html.EscapeString(path)+"</h3>") {
			t.Errorf("/docs does not show %s", path)
		}
	}
	for _, want := range []string{"ErrorDetail", "invalid_request", "refresh_token", "multipart/form-data"} {
		if !strings.Contains(body, want) {
			t.Errorf("/docs does not mention %s", want)
		}
	}
	// Outside dev mode there is no /docs.
	off, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(off, "GET", "/docs", nil); w.Code != 404 {
		t.Errorf("/docs without Docs: %d", w.Code)
	}
}

func serve(s *Server, method, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}
