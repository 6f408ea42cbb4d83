package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// pageNames are the templates under templates/, each rendered inside layout.html.
var pageNames = []string{"signin", "dashboard", "users", "user", "audit"}

func (h *Handler) parse() error {
	h.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		h.pages[name] = t
	}
	return nil
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"num": func(n any) string {
		switch n := n.(type) {
		case int:
			return thousands(int64(n))
		case int64:
			return thousands(n)
		}
		return fmt.Sprint(n)
	},
	"short": func(s string, n int) string { return shorten(s, n) },
}

// page is what every template gets.
type page struct {
	Title    string
	Nav      string // the active menu entry
	L        map[string]string
	Lang     string
	Switch   string // the current page in the other language
	Operator string // empty on the sign-in page
	CSRF     string
	Data     any
}

// render writes a page; the template runs into a buffer first, so that a
// template error is a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Lang = h.language(w, r)
	p.L = messages[p.Lang]
	p.Switch = switchURL(r, otherLang(p.Lang))
	if p.Title == "" {
		p.Title = p.L[name]
	}
	var buf bytes.Buffer
	if err := h.pages[name].Execute(&buf, p); err != nil {
		h.log.Error("console: rendering", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *Handler) withSession(s *session, nav string, data any) page {
	return page{Nav: nav, Operator: s.OperatorName, CSRF: s.csrf, Data: data}
}

// thousands formats n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// shorten cuts s to n characters with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
