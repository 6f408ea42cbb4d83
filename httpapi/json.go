package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

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
