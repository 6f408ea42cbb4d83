package console

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miniauth/miniauth"
)

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                            langEN,
		"zh-CN,zh;q=0.9,en;q=0.8":     langZH,
		"zh-TW":                       langZH,
		"en-US,en;q=0.9,zh-CN;q=0.8":  langEN,
		"fr-FR,zh;q=0.5,en;q=0.4":     langZH,
		"de-DE":                       langEN,
		"en;q=0.1, zh-Hans-CN;q=0.2":  langZH,
		"zh;q=not-a-number, en;q=0.5": langZH, // an unreadable weight counts as 1
	} {
		if got := fromAcceptLanguage(header); got != want {
			t.Errorf("%q: %s, want %s", header, got, want)
		}
	}
}

func TestEveryMessageInBothLanguages(t *testing.T) {
	for key := range messages[langEN] {
		if messages[langZH][key] == "" {
			t.Errorf("%s has no Chinese", key)
		}
	}
	for key := range messages[langZH] {
		if messages[langEN][key] == "" {
			t.Errorf("%s has no English", key)
		}
	}
	for _, action := range []string{miniauth.AuditSignIn, miniauth.AuditSignInFailed, miniauth.AuditSignInLocked,
		miniauth.AuditSignOut, miniauth.AuditRevokeSession, miniauth.AuditDisableUser, miniauth.AuditEnableUser,
		miniauth.AuditOperatorAdd, miniauth.AuditOperatorPasswd, miniauth.AuditOperatorRemove} {
		if messages[langEN][action] == "" {
			t.Errorf("audit action %s has no text", action)
		}
	}
}

func TestCSRFTokenIsBoundToItsSecret(t *testing.T) {
	a, b := randomValue(), randomValue()
	if !validCSRF(a, csrfToken(a)) {
		t.Fatal("a token does not validate with its secret")
	}
	for _, tc := range [][2]string{{a, csrfToken(b)}, {a, ""}, {"", csrfToken("")}, {a, csrfToken(a) + "x"}} {
		if validCSRF(tc[0], tc[1]) {
			t.Errorf("validCSRF(%q, %q)", tc[0], tc[1])
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("%d: %s", n, got)
		}
	}
}

func TestChartScalesToTheTallestDay(t *testing.T) {
	var days []miniauth.DailyStat
	for i, n := range []int{0, 1, 1000} {
		days = append(days, miniauth.DailyStat{Day: fmt.Sprintf("2026-11-%02d", i+1), Logins: n, NewUsers: 7})
	}
	c := dailyChart(days, func(d miniauth.DailyStat) int { return d.Logins })
	if c.Max != 1000 || c.Total != 1001 || len(c.Bars) != 3 {
		t.Fatalf("%+v", c)
	}
	if c.Bars[0].H != 0 || c.Bars[1].H != 1 || c.Bars[2].H != chartHeight-chartTop {
		t.Errorf("heights %d %d %d: an empty day flat, a small one visible, the tallest full", c.Bars[0].H, c.Bars[1].H, c.Bars[2].H)
	}
	if !strings.HasPrefix(c.Bars[2].Label, "2026-11-03: 1000") || c.First != "11-01" || c.Last != "11-03" {
		t.Errorf("labels %q %q %q", c.Bars[2].Label, c.First, c.Last)
	}
}
