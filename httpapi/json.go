package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// bindJSON decodes the request body, a single JSON object, into v. Unknown
// fields are allowed (clients may be newer than the server); anything that is
// not one JSON object is invalid_request, a body past the limit
// payload_too_large.
func (s *Server) bindJSON(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if isTooLarge(err) {
			return tooLarge(s.opts.BodyLimit)
		}
		return miniauth.WrapError(miniauth.EInvalidRequest, "could not read the request body", err)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return errEmptyBody
	}
	if body[0] != '{' {
		return miniauth.Errorf(miniauth.EInvalidRequest, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return miniauth.Errorf(miniauth.EInvalidRequest, "field %q must be a %s", typeErr.Field, typeErr.Type)
		}
		return miniauth.Errorf(miniauth.EInvalidRequest, "malformed JSON: %v", err)
	}
	if dec.More() {
		return miniauth.Errorf(miniauth.EInvalidRequest, "malformed JSON: data after the object")
	}
	return nil
}

// appendJSONString appends s as a JSON string. It escapes what JSON
// requires (quote, backslash, control characters) and, like encoding/json,
// <, > and & and the line separators U+2028 and U+2029; other UTF-8 passes
// through, and invalid UTF-8 becomes U+FFFD.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
