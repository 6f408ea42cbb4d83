package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The error answers of the OpenAPI document, from the one table of codes
// and statuses (statusOf): "Error" is the contract's shape, and ErrorNNN
// the same shape with the codes that status can carry.

// errorStatuses are the statuses of statusOf that reach a client (not the
// 499 of a client gone), each with its codes, sorted.
func errorStatuses() map[int][]string {
	out := map[int][]string{}
	for code, status := range statusOf {
		if status == statusClientClosedRequest {
			continue
		}
		out[status] = append(out[status], code)
	}
	for _, codes := range out {
		slices.Sort(codes)
	}
	return out
}

func errorDetailSchema() schema {
	return object(schema{
		"code":       described(str, "One of the contract's codes; the status says which."),
		"message":    described(str, "For people; in Chinese for Accept-Language zh."),
		"request_id": described(str, "The answer's X-Request-Id."),
	}, "code", "message", "request_id")
}

func errorSchemas() schema {
	out := schema{"Error": object(schema{"error": ref("ErrorDetail")}, "error")}
	for status, codes := range errorStatuses() {
		detail := schema{"allOf": []schema{ref("ErrorDetail"), {"properties": schema{"code": enum(codes...)}}}}
		out[errorSchemaName(status)] = object(schema{"error": detail}, "error")
	}
	return out
}

func errorSchemaName(status int) string { return "Error" + strconv.Itoa(status) }

// errorResponse is the answer of an error status: the Error shape with that
// status's codes. The answers of HEAD requests have no body.
func errorResponse(status int, head bool) schema {
	codes := errorStatuses()[status]
	if len(codes) == 0 {
		panic("httpapi: the OpenAPI document names status " + strconv.Itoa(status) + ", which no error code has")
	}
	r := schema{"description": http.StatusText(status) + ": " + strings.Join(codes, ", ")}
	if !head {
		r["content"] = schema{"application/json": schema{"schema": ref(errorSchemaName(status))}}
	}
	return r
}
