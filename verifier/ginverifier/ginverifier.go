// Package ginverifier adapts package verifier to gin:
//
//	r.Use(ginverifier.Middleware(v))
//	r.GET("/orders", func(c *gin.Context) {
//		id, _ := ginverifier.Identity(c)
//		c.JSON(200, gin.H{"user_id": id.UserID})
//	})
package ginverifier

import (
	"github.com/gin-gonic/gin"

	"github.com/miniauth/miniauth/verifier"
)

const key = "miniauth.identity"

// Middleware refuses requests without a valid token (401, or 503 when
// miniauth cannot be reached) and puts the identity both in the gin
// context and in the request's context (verifier.FromContext).
func Middleware(v *verifier.Verifier) gin.HandlerFunc {
	return func(c *gin.Context) {
		r, id, err := v.Authenticate(c.Request)
		if err != nil {
			status, body := verifier.Refusal(err)
			if status == 401 {
				c.Header("WWW-Authenticate", `Bearer realm="miniauth"`)
			}
			c.Data(status, "application/json; charset=utf-8", body)
			c.Abort()
			return
		}
		c.Request = r
		c.Set(key, id)
		c.Next()
	}
}

// Identity returns the identity Middleware found.
func Identity(c *gin.Context) (*verifier.Identity, bool) {
	id, ok := c.Get(key)
	if !ok {
		return nil, false
	}
	return id.(*verifier.Identity), true
}
