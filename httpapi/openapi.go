package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// The OpenAPI 3.1 document of every route, served at /openapi.json. It is
// written in Go rather than as a JSON file: the answers' schemas come from
// the structs the handlers encode (openapi_schema.go), the error answers
// from the one table of codes and statuses (errors.go). What stays
// hand-written, the list of routes (openapi_paths_*.go), is held to the
// router by a test, and the end-to-end tests validate every answer against
// the document.

// route describes one operation; GET routes get their HEAD twin.
type route struct {
	method, path, tag, summary string
	description                string
	auth                       string  // a security scheme of securitySchemes, or ""
	query                      []param // query parameters
	request                    any     // a JSON body (a struct value or a schema), a form or a multipart
	requestOptional            bool    // the body may be left out
	status                     int     // of a success
	answer                     any     // a struct value, a schema, a media or several, or nil for no body
	headers                    schema  // headers of the success: name → description
	also                       map[int]any
	errors                     []int // error statuses beside those every route may answer
}

type param struct {
	name, description string
	schema            schema
}

// form is a body of application/x-www-form-urlencoded fields: name → description.
type form map[string]string

// multipartForm is a multipart/form-data body: part name → description.
type multipartForm map[string]string

// media is an answer that is not JSON.
type media struct {
	contentType string
	schema      schema
}

var (
	htmlPage = media{"text/html", str}
	pngImage = media{"image/png", binary}
)

// commonErrors are what every route may answer: a query value that is not
// clean text (400), a body over the limit (413), a bug (500).
var commonErrors = []int{400, 413, 500}

// securitySchemes are the ways callers prove who they are.
var securitySchemes = schema{
	"bearer":        schema{"type": "http", "scheme": "bearer", "description": "An access token of a session (login, refresh)."},
	"admin":         schema{"type": "http", "scheme": "bearer", "description": "The admin API's token (admin.token)."},
	"introspection": schema{"type": "http", "scheme": "bearer", "description": "One of tokens.introspection_secrets."},
	"operator": schema{"type": "apiKey", "in": "cookie", "name": "miniauth_console",
		"description": "The console's session cookie, set by signing in; every POST also carries the page's CSRF token."},
}

// allRoutes lists every route the server registers, public and admin,
// except the dev mode's simulator and demo pages.
func allRoutes() []route {
	return slices.Concat(healthRoutes(), authRoutes(), profileDocRoutes(), accountDocRoutes(),
		webLoginDocRoutes(), adminDocRoutes(), consoleDocRoutes())
}

// OpenAPIDocument returns the OpenAPI 3.1 document of the API, built once.
func OpenAPIDocument() []byte { return openAPI().body }

type openAPIDoc struct {
	body []byte
	etag string
}

var openAPI = sync.OnceValue(func() openAPIDoc {
	body, err := json.MarshalIndent(buildOpenAPI(), "", "  ")
	if err != nil {
		panic("httpapi: the OpenAPI document does not encode: " + err.Error()) // maps, strings and slices only
	}
	sum := sha256.Sum256(body)
	return openAPIDoc{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
})

// openAPICacheControl: the document changes only with the binary, which the
// ETag names; caches ask again after an hour.
const openAPICacheControl = "public, max-age=3600"

// serveOpenAPI answers the document, or 304 to a cache that holds it.
func (s *Server) serveOpenAPI(c *gin.Context) {
	doc := openAPI()
	c.Header("Cache-Control", openAPICacheControl)
	c.Header("ETag", doc.etag)
	if c.GetHeader("If-None-Match") == doc.etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/json", doc.body)
}

func buildOpenAPI() schema {
	paths := schema{}
	for _, r := range allRoutes() {
		item, _ := paths[r.path].(schema)
		if item == nil {
			item = schema{}
			paths[r.path] = item
		}
		for _, m := range methodsOf(r.method) {
			item[strings.ToLower(m)] = operation(r, m)
		}
	}
	schemas := errorSchemas()
	schemas["ErrorDetail"] = errorDetailSchema()
	schemas["User"] = schemaFor(userJSON{})
	schemas["AdminUser"] = schemaFor(adminUserJSON{})
	schemas["Tokens"] = schemaFor(tokenResponse{})
	return schema{
		"openapi": "3.1.0",
		"info": schema{"title": "miniauth", "version": "1", "description": "User accounts for mini programs: " +
			"log in with a platform's login code, our own access and refresh tokens, profiles, sessions, " +
			"scan to log in on the web, and the operators' admin API and console. Every error answers " +
			"the Error shape, its message in Chinese for Accept-Language zh."},
		"tags":       tags,
		"paths":      paths,
		"components": schema{"schemas": schemas, "securitySchemes": securitySchemes},
	}
}

var tags = []schema{
	{"name": "health", "description": "Liveness, readiness, metrics and this document"},
	{"name": "auth", "description": "Log in, refresh, log out, verify, introspect"},
	{"name": "tokens", "description": "Publishing the keys of signed access tokens"},
	{"name": "me", "description": "The user of the session: profile, phone, avatar"},
	{"name": "account", "description": "A user's own identities and sessions"},
	{"name": "web-login", "description": "Scan to log in on the web"},
	{"name": "admin", "description": "The admin API (admin.token)"},
	{"name": "console", "description": "The operators' console: HTML pages and forms"},
}

// anyMethods are the methods of a route registered with gin's Any that
// OpenAPI can name: it has no CONNECT.
var anyMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}

func methodsOf(method string) []string {
	switch method {
	case "GET":
		return []string{"GET", "HEAD"}
	case "ANY":
		return anyMethods
	}
	return []string{method}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func operation(r route, method string) schema {
	op := schema{"summary": r.summary, "tags": []string{r.tag}, "operationId": operationID(method, r.path)}
	if r.description != "" {
		op["description"] = r.description
	}
	if params := parameters(r); len(params) > 0 {
		op["parameters"] = params
	}
	if r.auth != "" {
		op["security"] = []schema{{r.auth: []string{}}}
	}
	if body := requestBody(r.request, !r.requestOptional); body != nil {
		op["requestBody"] = body
	}
	op["responses"] = responses(r, method == http.MethodHead)
	return op
}

func operationID(method, path string) string {
	id := strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_").Replace(strings.Trim(path, "/"))
	return strings.ToLower(method) + "_" + strings.TrimSuffix(id, "_")
}

func parameters(r route) []schema {
	var params []schema
	for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
		params = append(params, schema{"name": m[1], "in": "path", "required": true, "schema": str})
	}
	for _, q := range r.query {
		params = append(params, schema{"name": q.name, "in": "query", "description": q.description, "schema": q.schema})
	}
	return params
}

func requestBody(request any, required bool) schema {
	var mediaType string
	var body schema
	switch req := request.(type) {
	case nil:
		return nil
	case form:
		mediaType, body = "application/x-www-form-urlencoded", fieldsSchema(req, str)
	case multipartForm:
		mediaType, body = "multipart/form-data", fieldsSchema(req, binary)
	case schema:
		mediaType, body = "application/json", req
	default:
		mediaType, body = "application/json", schemaFor(req)
	}
	return schema{"required": required, "content": schema{mediaType: schema{"schema": body}}}
}

func fieldsSchema(fields map[string]string, each schema) schema {
	props := schema{}
	names := make([]string, 0, len(fields))
	for name, description := range fields {
		props[name] = described(each, description)
		names = append(names, name)
	}
	slices.Sort(names)
	s := object(props, names...)
	s["additionalProperties"] = true // forms may carry more fields (the CSRF token, wx.uploadFile's formData)
	return s
}

func responses(r route, head bool) schema {
	out := schema{}
	success := schema{"description": http.StatusText(r.status)}
	if content := answerContent(r.answer); content != nil && !head {
		success["content"] = content
	}
	if len(r.headers) > 0 {
		success["headers"] = headerObjects(r.headers)
	}
	out[strconv.Itoa(r.status)] = success
	for status, answer := range r.also {
		other := schema{"description": http.StatusText(status)}
		if content := answerContent(answer); content != nil && !head {
			other["content"] = content
		}
		out[strconv.Itoa(status)] = other
	}
	for _, status := range slices.Concat(commonErrors, r.errors) {
		key := strconv.Itoa(status)
		if _, set := out[key]; set {
			continue // answered otherwise (readyz's 503)
		}
		out[key] = errorResponse(status, head)
	}
	return out
}

func headerObjects(headers schema) schema {
	out := schema{}
	for name, description := range headers {
		out[name] = schema{"description": description, "schema": str}
	}
	return out
}

func answerContent(answer any) schema {
	switch a := answer.(type) {
	case nil:
		return nil
	case media:
		return schema{a.contentType: schema{"schema": a.schema}}
	case []media:
		out := schema{}
		for _, m := range a {
			out[m.contentType] = schema{"schema": m.schema}
		}
		return out
	case schema:
		return schema{"application/json": schema{"schema": a}}
	default:
		return schema{"application/json": schema{"schema": schemaFor(a)}}
	}
}
