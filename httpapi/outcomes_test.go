package httpapi_test

import (
	"strings"
	"testing"
)

// Every login and refresh is counted once by its outcome, the ones refused
// before they reach the service included.
func TestLoginAndRefreshOutcomesAreCounted(t *testing.T) {
	a := newTestAPI(t)
	a.do(t, "POST", "/api/v1/auth/login", `{"code":`)
	a.do(t, "POST", "/api/v1/auth/login", `{"code":"never-issued"}`)
	tk := a.login(t)
	a.do(t, "POST", "/api/v1/auth/refresh", `{}`)
	a.do(t, "POST", "/api/v1/auth/refresh", `{"refresh_token":"`+tk.RefreshToken+`"}`)

	metrics := string(a.do(t, "GET", "/metrics", "").body)
	for _, want := range []string{
		`miniauth_logins_total{result="invalid_request"} 1`,
		`miniauth_logins_total{result="invalid_code"} 1`,
		`miniauth_logins_total{result="ok"} 1`,
		`miniauth_refreshes_total{result="invalid_request"} 1`,
		`miniauth_refreshes_total{result="ok"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("no %s in\n%s", want, grepLines(metrics, "miniauth_"))
		}
	}
}
