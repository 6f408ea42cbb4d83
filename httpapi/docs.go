package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// /docs: the OpenAPI document as a readable HTML page, rendered on the
// server from the document itself (so the two cannot disagree), with
// html/template, embedded in the binary: no CDN, no script, works offline.
// Its stylesheet is inline and allowed by its hash in the content security
// policy, which allows nothing else.

//go:embed docs/docs.html docs/docs.css
var docsFiles embed.FS

var docsTemplate = template.Must(template.New("docs.html").Funcs(template.FuncMap{
	"join": strings.Join, "lower": strings.ToLower,
}).ParseFS(docsFiles, "docs/docs.html"))

type docsPage struct {
	body []byte
	csp  string
}

var docs = sync.OnceValue(func() docsPage {
	css, err := docsFiles.ReadFile("docs/docs.css")
	if err != nil {
		panic("httpapi: embedded docs.css missing") // the go:embed line lists it
	}
	view := docsViewOf(OpenAPIDocument())
	view.CSS = template.CSS(css)
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, view); err != nil {
		panic("httpapi: the docs page does not render: " + err.Error()) // a fixed template over a fixed document
	}
	sum := sha256.Sum256(css)
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return docsPage{body: buf.Bytes(), csp: csp}
})

func (s *Server) serveDocs(c *gin.Context) {
	page := docs()
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", page.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", openAPICacheControl)
	c.Data(http.StatusOK, "text/html; charset=utf-8", page.body)
}

type docsView struct {
	Title, Description, Version string
	CSS                         template.CSS
	Ops                         []docsOp
	Schemas                     []docsSchema
}

type docsOp struct {
	Anchor, Path, Summary, Description, Tag, Auth string
	Methods                                       []string
	Params                                        []docsParam
	Request                                       *docsBody
	Responses                                     []docsResponse
}

type docsParam struct{ Name, In, Schema, Description string }

// docsBody is a body's schema, or the name of the schema it refers to.
type docsBody struct{ MediaType, Schema, Ref string }

type docsResponse struct {
	Status, Description string
	Bodies              []docsBody
}

type docsSchema struct{ Name, Schema string }

// The parts of the document the page shows, as encoding/json reads them.
type (
	docOpenAPI struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"info"`
		Paths      map[string]map[string]docOperation `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	docOperation struct {
		Summary     string                `json:"summary"`
		Description string                `json:"description"`
		Tags        []string              `json:"tags"`
		Security    []map[string][]string `json:"security"`
		Parameters  []struct {
			Name        string          `json:"name"`
			In          string          `json:"in"`
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
		} `json:"parameters"`
		RequestBody *struct {
			Content map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
		Responses map[string]struct {
			Description string `json:"description"`
			Content     map[string]struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	}
)

// docsMethods is the order of the methods on the page; HEAD is left out
// (every GET answers it).
var docsMethods = []string{"get", "post", "put", "patch", "delete", "options", "trace"}
