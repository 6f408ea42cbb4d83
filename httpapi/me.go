package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// userJSON is the contract's user object.
type userJSON struct {
	ID        string `json:"id"`
	OpenID    string `json:"openid"`
	UnionID   string `json:"unionid"`
	Nickname  string `json:"nickname"`
	AvatarURL string `json:"avatar_url"`
	Phone     string `json:"phone"`
	CreatedAt string `json:"created_at"`

	Identities []identityJSON `json:"identities"`
}

func userJSONOf(u *miniauth.User) *userJSON {
	return &userJSON{
		ID:        u.ID,
		OpenID:    u.OpenID,
		UnionID:   u.UnionID,
		Nickname:  u.Nickname,
		AvatarURL: u.AvatarURL,
		Phone:     u.Phone,
		CreatedAt: u.CreatedAt.UTC().Format(time.RFC3339),

		Identities: identitiesJSONOf(u.Identities),
	}
}

func (s *Server) me(c *gin.Context) {
	user, err := s.svc.Me(c.Request.Context(), sessionOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, userJSONOf(user).at(c))
}

type phoneRequest struct {
	Code string `json:"code"`
}

func (s *Server) bindPhone(c *gin.Context) {
	var req phoneRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	user, err := s.svc.BindPhone(c.Request.Context(), sessionOf(c), req.Code)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, userJSONOf(user).at(c))
}
