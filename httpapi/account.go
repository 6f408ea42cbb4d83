package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// A user's own account: the ways it logs in (identities) and its sessions
// (the devices list).
func (s *Server) accountRoutes(v1 *gin.RouterGroup) {
	v1.POST("/me/identities", s.authenticate, s.linkIdentity)
	v1.DELETE("/me/identities/:appid", s.authenticate, s.unlinkIdentity)
	getAndHead(v1, "/me/sessions", s.authenticate, s.ownSessions)
	v1.DELETE("/me/sessions", s.authenticate, s.endOtherSessions)
	v1.DELETE("/me/sessions/:id", s.authenticate, s.endOwnSession)
}

type identityJSON struct {
	Platform string `json:"platform"`
	AppID    string `json:"appid"`
	OpenID   string `json:"openid"`
	UnionID  string `json:"unionid"`
}

func identitiesJSONOf(ids []miniauth.Identity) []identityJSON {
	out := make([]identityJSON, 0, len(ids))
	for _, x := range ids {
		out = append(out, identityJSON{Platform: x.Platform, AppID: x.AppID, OpenID: x.OpenID, UnionID: x.UnionID})
	}
	return out
}

type linkRequest struct {
	AppID string `json:"appid"`
	Code  string `json:"code"`
}

func (s *Server) linkIdentity(c *gin.Context) {
	var req linkRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	user, err := s.svc.LinkIdentity(c.Request.Context(), sessionOf(c), req.AppID, req.Code)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, userJSONOf(user))
}

func (s *Server) unlinkIdentity(c *gin.Context) {
	if err := s.svc.UnlinkIdentity(c.Request.Context(), sessionOf(c), c.Param("appid")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// ownSessionJSON is a session as its own user sees it: no token hash, no
// session key, no user id.
type ownSessionJSON struct {
	ID         string `json:"id"`
	AppID      string `json:"appid"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	ExpiresAt  string `json:"expires_at"`
	UserAgent  string `json:"user_agent"`
	IP         string `json:"ip"`
	Current    bool   `json:"current"`
}

func (s *Server) ownSessions(c *gin.Context) {
	current := sessionOf(c)
	sessions, err := s.svc.OwnSessions(c.Request.Context(), current)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]ownSessionJSON, 0, len(sessions))
	for _, x := range sessions {
		out = append(out, ownSessionJSON{
			ID:         x.ID,
			AppID:      x.AppID,
			CreatedAt:  x.CreatedAt.UTC().Format(time.RFC3339),
			LastUsedAt: x.LastUsedAt.UTC().Format(time.RFC3339),
			// The session lasts as long as its refresh token.
			ExpiresAt: x.RefreshExpiresAt.UTC().Format(time.RFC3339),
			UserAgent: x.UserAgent,
			IP:        x.IP,
			Current:   x.ID == current.ID,
		})
	}
	c.JSON(http.StatusOK, gin.H{"sessions": out})
}

func (s *Server) endOwnSession(c *gin.Context) {
	if err := s.svc.EndOwnSession(c.Request.Context(), sessionOf(c), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) endOtherSessions(c *gin.Context) {
	if _, err := s.svc.EndOtherSessions(c.Request.Context(), sessionOf(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
