package httpapi

import "net/http"

// The OpenAPI operations of health, log-in and token routes, and the
// profile of the user of the session.

// bearerErrors are what a route behind an access token may answer besides
// its own: no valid token (401), a disabled account (403), a store that
// does not answer (503).
var bearerErrors = []int{401, 403, 503}

// platformErrors are what a call to WeChat or another platform may add: a
// refused code or account (400, 403), their rate limit (429).
var platformErrors = []int{403, 429, 503}

// bearerPlatformErrors are both.
var bearerPlatformErrors = []int{401, 403, 429, 503}

// noStoreHeader is the header of the answers that carry tokens.
var noStoreHeader = schema{"Cache-Control": "no-store"}

func healthRoutes() []route {
	return []route{
		{method: "GET", path: "/healthz", tag: "health", summary: "The process runs", status: 200,
			answer: object(schema{"status": enum("ok")}, "status")},
		{method: "GET", path: "/readyz", tag: "health", summary: "Every store answers", status: 200,
			description: "503 names the stores that did not answer, with each store's state beside the error.",
			answer:      object(schema{"status": enum("ready"), "checks": checks}, "status", "checks"),
			also: map[int]any{http.StatusServiceUnavailable: object(schema{
				"error":  schema{"allOf": []schema{ref("ErrorDetail"), {"properties": schema{"code": enum("upstream_unavailable")}}}},
				"checks": checks,
			}, "error", "checks")}},
		{method: "GET", path: "/metrics", tag: "health", summary: "Prometheus metrics", status: 200,
			answer: media{"text/plain", str}},
		{method: "GET", path: "/openapi.json", tag: "health", summary: "This document (OpenAPI 3.1)", status: 200,
			description: "Cacheable; its ETag changes with the binary.",
			answer:      anyObject, also: map[int]any{http.StatusNotModified: nil}},
		{method: "GET", path: "/docs", tag: "health", summary: "This document as an HTML page (dev mode only)", status: 200,
			answer: htmlPage},
	}
}

func authRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/auth/login", tag: "auth", summary: "Log in with a login code of wx.login() or another platform's",
			description: "appid is optional when one app is configured (in dev mode: the WeChat dev app).",
			request:     loginRequest{}, status: 200, answer: ref("Tokens"), headers: noStoreHeader, errors: platformErrors},
		{method: "POST", path: "/api/v1/auth/refresh", tag: "auth", summary: "New tokens for a refresh token, which stops working",
			description: "A used refresh token presented again revokes its whole session (401). The answer has no new_user.",
			request:     refreshRequest{}, status: 200, answer: ref("Tokens"), headers: noStoreHeader, errors: []int{401, 403, 429, 503}},
		{method: "POST", path: "/api/v1/auth/logout", tag: "auth", auth: "bearer", summary: "End the session of the token",
			status: 204, errors: bearerErrors},
		{method: "ANY", path: "/api/v1/auth/verify", tag: "auth", auth: "bearer",
			summary:     "For gateways: the identity of an access token",
			description: "Answers every method, as gateways' subrequests may carry the original one (CONNECT too, which OpenAPI cannot name).",
			status:      200, errors: bearerErrors,
			headers: schema{"X-User-Id": "The user's id", "X-Openid": "The session's openid", "X-Appid": "The session's app"},
			answer: object(schema{"user_id": str, "openid": str, "appid": str, "expires_at": dateTime},
				"user_id", "openid", "appid", "expires_at")},
		{method: "POST", path: "/api/v1/auth/introspect", tag: "auth", auth: "introspection", summary: "RFC 7662 introspection of an access token",
			request: form{"token": "The access token, opaque or JWT"}, status: 200, answer: introspectionAnswer{},
			headers: noStoreHeader, errors: []int{401, 503}},
		{method: "GET", path: "/.well-known/jwks.json", tag: "tokens", summary: "Every key whose signed access tokens can still be valid",
			status: 200, answer: object(schema{"keys": arrayOf(anyObject)}, "keys")},
		{method: "GET", path: "/.well-known/oauth-authorization-server", tag: "tokens", summary: "RFC 8414 metadata",
			status: 200, answer: serverMetadata{}},
	}
}

func profileDocRoutes() []route {
	user := ref("User")
	nickname := "Set the nickname: trimmed, 1 to 32 characters, no control characters or bidi overrides"
	return []route{
		{method: "GET", path: "/api/v1/me", tag: "me", auth: "bearer", summary: "The user of the session",
			status: 200, answer: user, errors: bearerErrors},
		{method: "PATCH", path: "/api/v1/me", tag: "me", auth: "bearer", summary: nickname,
			request: nicknameRequest{}, status: 200, answer: user, errors: bearerPlatformErrors},
		{method: "PUT", path: "/api/v1/me", tag: "me", auth: "bearer", summary: nickname,
			description: "PATCH for mini programs, whose request APIs cannot send PATCH.",
			request:     nicknameRequest{}, status: 200, answer: user, errors: bearerErrors},
		{method: "POST", path: "/api/v1/me/phone", tag: "me", auth: "bearer", summary: "Set the phone number of a getPhoneNumber code",
			request: phoneRequest{}, status: 200, answer: user, errors: bearerPlatformErrors},
		{method: "POST", path: "/api/v1/me/avatar", tag: "me", auth: "bearer", summary: "Upload an avatar (PNG, JPEG or WebP)",
			description: "The image is scaled to at most 512×512 and re-encoded; avatar_url names the stored bytes.",
			request:     multipartForm{"file": "The image, as wx.uploadFile sends it"}, status: 200, answer: user, errors: bearerErrors},
		{method: "GET", path: "/avatars/{name}", tag: "me", summary: "An avatar kept in the data dir",
			status: 200, answer: []media{{"image/jpeg", binary}, {"image/png", binary}},
			headers: schema{"Cache-Control": avatarCacheControl, "ETag": "The image's hash"},
			also:    map[int]any{http.StatusNotModified: nil}, errors: []int{404, 503}},
	}
}
