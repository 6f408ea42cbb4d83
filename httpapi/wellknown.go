package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// KeySet is what publishes the keys that sign access tokens: the jose
// package's Keys.
type KeySet interface {
	JWKS() []byte // a JSON Web Key Set
}

// emptyJWKS is published when access tokens are opaque.
var emptyJWKS = []byte(`{"keys":[]}`)

// jwks answers every key whose tokens can still be valid, cacheable for
// less than the time a new key is published before it signs.
func (s *Server) jwks(c *gin.Context) {
	body := emptyJWKS
	if s.opts.KeySet != nil {
		body = s.opts.KeySet.JWKS()
	}
	c.Header("Cache-Control", s.publicCache())
	c.Data(http.StatusOK, "application/json", body)
}

type serverMetadata struct {
	Issuer                string   `json:"issuer"`
	JWKSURI               string   `json:"jwks_uri"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
	ResponseTypes         []string `json:"response_types_supported"` // required by RFC 8414; miniauth has no authorization endpoint
}

// metadata is the RFC 8414 authorization server metadata.
func (s *Server) metadata(c *gin.Context) {
	c.Header("Cache-Control", s.publicCache())
	c.JSON(http.StatusOK, serverMetadata{
		Issuer:                s.opts.Issuer,
		JWKSURI:               s.opts.Issuer + "/.well-known/jwks.json",
		IntrospectionEndpoint: s.opts.Issuer + "/api/v1/auth/introspect",
		ResponseTypes:         []string{},
	})
}

func (s *Server) publicCache() string {
	return "public, max-age=" + strconv.Itoa(int(s.opts.JWKSMaxAge.Seconds()))
}
