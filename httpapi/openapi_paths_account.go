package httpapi

// The OpenAPI operations of a user's own account (identities, sessions)
// and of scan to log in on the web.

func accountDocRoutes() []route {
	withNotFound := []int{401, 403, 404, 503}
	return []route{
		{method: "POST", path: "/api/v1/me/identities", tag: "account", auth: "bearer",
			summary:     "Add the identity of another app's login code to this account",
			description: "409 conflict when the identity belongs to another account; nothing changes then.",
			request:     linkRequest{}, status: 200, answer: ref("User"), errors: []int{401, 403, 409, 429, 503}},
		{method: "DELETE", path: "/api/v1/me/identities/{appid}", tag: "account", auth: "bearer",
			summary:     "Remove this account's identity of an app",
			description: "409 conflict for the identity of the current session, or the last one.",
			status:      204, errors: []int{401, 403, 404, 409, 503}},
		{method: "GET", path: "/api/v1/me/sessions", tag: "account", auth: "bearer", summary: "The user's sessions, newest first",
			status: 200, answer: object(schema{"sessions": arrayOf(schemaFor(ownSessionJSON{}))}, "sessions"), errors: bearerErrors},
		{method: "DELETE", path: "/api/v1/me/sessions", tag: "account", auth: "bearer", summary: "End every session of the user but the current one",
			status: 204, errors: bearerErrors},
		{method: "DELETE", path: "/api/v1/me/sessions/{id}", tag: "account", auth: "bearer", summary: "End one of the user's sessions",
			description: "Another user's session, or an unknown id, is 404.",
			status:      204, errors: withNotFound},
	}
}

func webLoginDocRoutes() []route {
	ticketStates := []int{401, 403, 404, 409, 503}
	poll := schemaFor(webLoginPollResponse{})
	poll["properties"].(schema)["status"] = enum("pending", "scanned", "confirmed", "denied", "expired")
	return []route{
		{method: "POST", path: "/api/v1/web-login", tag: "web-login", summary: "A ticket for a web page to show as a mini-program code",
			request: webLoginRequest{}, requestOptional: true, status: 200, answer: webLoginStartResponse{},
			headers: noStoreHeader, errors: []int{429, 503}},
		{method: "GET", path: "/api/v1/web-login/{ticket}", tag: "web-login", summary: "The ticket's status, waiting for a change with ?wait",
			description: "The first answer with confirmed carries the tokens of a new session, as login does; later ones do not.",
			query:       []param{{"wait", "How long to wait for a change: a duration (25s) or whole seconds", str}},
			status:      200, answer: poll, headers: noStoreHeader, errors: []int{404, 503}},
		{method: "GET", path: "/api/v1/web-login/{ticket}/qrcode.png", tag: "web-login", summary: "The ticket's mini-program code",
			status: 200, answer: pngImage, errors: []int{404, 409, 429, 503}},
		{method: "POST", path: "/api/v1/web-login/{ticket}/scan", tag: "web-login", auth: "bearer",
			summary: "The mini program has scanned the code", status: 204, errors: ticketStates},
		{method: "POST", path: "/api/v1/web-login/{ticket}/confirm", tag: "web-login", auth: "bearer",
			summary: "The user confirms: the page logs in as this account", status: 204, errors: ticketStates},
		{method: "POST", path: "/api/v1/web-login/{ticket}/deny", tag: "web-login", auth: "bearer",
			summary: "The user refuses", status: 204, errors: ticketStates},
	}
}
