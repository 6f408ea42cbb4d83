package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// fuzzBodyLimit is small so that the fuzzer reaches past it.
const fuzzBodyLimit = 1024

// decodeServer is a Server whose routes decode the bodies of login,
// refresh and phone exactly as the real handlers do, and answer 200 with
// what they decoded; the use cases behind are not the decoder's business.
func decodeServer(tb testing.TB) *Server {
	s, err := New(Options{Logger: slog.New(slog.DiscardHandler), BodyLimit: fuzzBodyLimit})
	if err != nil {
		tb.Fatal(err)
	}
	bind := func(v any) gin.HandlerFunc {
		return func(c *gin.Context) {
			if err := s.bindJSON(c, v); err != nil {
				s.fail(c, err)
				return
			}
			c.JSON(http.StatusOK, v)
		}
	}
	s.engine.POST("/fuzz/login", s.limitBody, bind(&loginRequest{}))
	s.engine.POST("/fuzz/refresh", s.limitBody, bind(&refreshRequest{}))
	s.engine.POST("/fuzz/phone", s.limitBody, bind(&phoneRequest{}))
	return s
}

var decodeRoutes = []string{"/fuzz/login", "/fuzz/refresh", "/fuzz/phone"}

// Whatever the body, the decoders of login, refresh and phone answer 200
// with the object, or 400 invalid_request, or 413 payload_too_large, in the
// contract's error shape: never a 500, never another shape.
func FuzzDecodeBodies(f *testing.F) {
	for _, seed := range []string{
		`{"code":"0a1b2c"}`, `{"code":"c","appid":"wx1"}`, `{"refresh_token":"mrt_x"}`,
		`{"code":1}`, `{"code":"\ud800"}`, `[]`, `{}{}`, ``, `{"code":"` + "\xff\xfe" + `"}`,
	} {
		for i := range decodeRoutes {
			f.Add(uint8(i), []byte(seed))
		}
	}
	s := decodeServer(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := decodeRoutes[int(route)%len(decodeRoutes)]
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("POST", path, bytes.NewReader(body)))
		switch rec.Code {
		case http.StatusOK:
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("200 with a body that is no JSON object: %q", rec.Body)
			}
			if len(body) > fuzzBodyLimit {
				t.Fatalf("a body of %d bytes passed the limit of %d", len(body), fuzzBodyLimit)
			}
		case http.StatusBadRequest:
			checkContractError(t, rec, miniauth.EInvalidRequest)
		case http.StatusRequestEntityTooLarge:
			checkContractError(t, rec, miniauth.EPayloadTooLarge)
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// checkContractError checks the contract's error shape: one "error" object
// with the code, a message and the request id of the X-Request-Id header,
// all valid UTF-8.
func checkContractError(t *testing.T, rec *httptest.ResponseRecorder, code string) {
	t.Helper()
	if !utf8.Valid(rec.Body.Bytes()) {
		t.Fatalf("error body is not UTF-8: %q", rec.Body)
	}
	var body struct {
		Error *errorDetail `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Error == nil {
		t.Fatalf("error body out of shape (%v): %s", err, rec.Body)
	}
	e := body.Error
	if e.Code != code || e.Message == "" || e.RequestID == "" || e.RequestID != rec.Header().Get("X-Request-Id") {
		t.Fatalf("error %+v, want code %s with a message and the request id %q", e, code, rec.Header().Get("X-Request-Id"))
	}
}

// bearer finds a token only in "Bearer <token>", any case, and the token it
// finds is the header's rest, trimmed, never empty; a token without spaces
// comes back as it went in.
func FuzzBearer(f *testing.F) {
	for _, seed := range []string{"Bearer mat_abc", "bearer  x ", "BEARER\tx", "Basic abc", "Bearer", "Bearer ", "", "Bearer \xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, ok := bearer(header)
		if !ok {
			if token != "" {
				t.Fatalf("bearer(%q) refused but gave %q", header, token)
			}
			return
		}
		if !strings.EqualFold(header[:7], "bearer ") {
			t.Fatalf("bearer(%q) accepted another scheme", header)
		}
		if token == "" || token != strings.TrimSpace(token) || !strings.Contains(header, token) {
			t.Fatalf("bearer(%q) = %q", header, token)
		}
		if !strings.ContainsAny(token, " \t\r\n\v\f") {
			if again, ok := bearer("Bearer " + token); !ok || again != token {
				t.Fatalf("round trip of %q gave %q, %v", token, again, ok)
			}
		}
	})
}
