package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
	"github.com/prometheus/client_golang/prometheus"
)

func TestWantsChinese(t *testing.T) {
	tests := map[string]bool{
		"":                            false,
		"zh":                          true,
		"zh-CN":                       true,
		"zh-Hans":                     true,
		"zh-Hans-CN":                  true,
		"zh-SG":                       true,
		"zh-TW":                       false, // Traditional: we have none, so English
		"zh-Hant":                     false,
		"en":                          false,
		"en-US,en;q=0.9":              false,
		"en;q=0.9, zh-CN":             true,  // q-values, not order, decide
		"zh-CN;q=0.5, en;q=0.8":       false, // English preferred
		"fr, zh;q=0.1":                true,  // French unknown: the next one
		"zh;q=0, en":                  false, // q=0: not acceptable
		"*":                           false,
		"!!!":                         false,
		"zh-CN,zh;q=0.9,en;q=0.8":     true,
		"de-DE, fr;q=0.9, *;q=0.1":    false,
		"ja, zh-Hant;q=0.9, zh;q=0.5": true,
	}
	for header, want := range tests {
		if got := wantsChinese(header); got != want {
			t.Errorf("Accept-Language %q: Chinese %v, want %v", header, got, want)
		}
	}
}

// failWith answers err through the one error writer, as a client with the
// given Accept-Language.
func failWith(t *testing.T, err error, acceptLanguage string) (int, errorDetail, http.Header) {
	t.Helper()
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.throttleMetrics = newThrottleMetrics(prometheus.NewRegistry(), nil)
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest("GET", "/", nil)
	if acceptLanguage != "" {
		c.Request.Header.Set("Accept-Language", acceptLanguage)
	}
	s.fail(c, err)
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	return rec.Code, body.Error, rec.Header()
}

func TestEveryCodeInBothLanguages(t *testing.T) {
	for code, status := range statusOf {
		if _, ok := zhByCode[code]; !ok {
			t.Errorf("%s has no Chinese message", code)
		}
		err := miniauth.Errorf(code, "a message the catalogue does not know")
		for _, lang := range []string{"", "en", "zh-CN"} {
			gotStatus, got, header := failWith(t, err, lang)
			wantMessage := "a message the catalogue does not know"
			switch {
			case lang == "zh-CN":
				wantMessage = zhByCode[code]
			case code == miniauth.EInternal:
				wantMessage = "internal error"
			}
			if gotStatus != status || got.Code != code || got.Message != wantMessage {
				t.Errorf("%s in %q: %d %+v, want %d %q", code, lang, gotStatus, got, status, wantMessage)
			}
			if header.Get("Vary") != "Accept-Language" {
				t.Errorf("%s: no Vary: Accept-Language", code)
			}
		}
	}
	for code := range zhByCode {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("Chinese message of %s, which has no status", code)
		}
	}
}

func TestInternalDetailStaysHiddenInChinese(t *testing.T) {
	_, got, _ := failWith(t, fmt.Errorf("disk on fire: /var/secret"), "zh")
	if got.Code != miniauth.EInternal || got.Message != zhByCode[miniauth.EInternal] {
		t.Errorf("internal error in Chinese: %+v", got)
	}
}

// Every catalogue entry translates the message it is keyed by, with its
// values in place, through the error writer.
func TestCatalogue(t *testing.T) {
	for en, zh := range zhMessages {
		verbs := formatVerb.FindAllString(en, -1)
		args := make([]any, len(verbs))
		wantZh := zh
		for i := range verbs {
			value := fmt.Sprintf("v%d", i+1)
			if verbs[i] == "%d" {
				value = fmt.Sprint(100 + i)
			}
			if verbs[i] == "%d" {
				args[i] = 100 + i
			} else {
				args[i] = value
			}
			if verbs[i] == "%q" {
				value = fmt.Sprintf("%q", value)
			}
			placeholder := fmt.Sprintf("{%d}", i+1)
			if !strings.Contains(zh, placeholder) {
				t.Errorf("%q: the Chinese text has no %s", en, placeholder)
			}
			wantZh = strings.ReplaceAll(wantZh, placeholder, value)
		}
		message := fmt.Sprintf(en, args...)
		_, got, _ := failWith(t, miniauth.Errorf(miniauth.EInvalidRequest, "%s", message), "zh-Hans")
		if got.Message != wantZh || got.Code != miniauth.EInvalidRequest {
			t.Errorf("%q: %q, want %q", message, got.Message, wantZh)
		}
		_, got, _ = failWith(t, miniauth.Errorf(miniauth.EInvalidRequest, "%s", message), "en")
		if got.Message != message {
			t.Errorf("%q in English: %q", message, got.Message)
		}
	}
}
