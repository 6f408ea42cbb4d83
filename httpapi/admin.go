package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// The admin API is for operators (support tools, scripts), behind the
// configured admin token. It is not part of the mini program contract.
func (s *Server) adminRoutes(g *gin.RouterGroup) {
	getAndHead(g, "/users", s.adminListUsers)
	getAndHead(g, "/users/:id", s.adminUser)
	g.POST("/users/:id/disable", s.adminSetDisabled(true))
	g.POST("/users/:id/enable", s.adminSetDisabled(false))
	getAndHead(g, "/users/:id/sessions", s.adminUserSessions)
	getAndHead(g, "/users/:id/logins", s.adminUserLogins)
	g.DELETE("/users/:id/sessions", s.adminRevokeUserSessions)
	g.DELETE("/sessions/:id", s.adminRevokeSession)
}

type adminUserJSON struct {
	userJSON
	AppID     string `json:"appid"`
	Disabled  bool   `json:"disabled"`
	UpdatedAt string `json:"updated_at"`
}

func adminUserJSONOf(u *miniauth.User) adminUserJSON {
	return adminUserJSON{
		userJSON:  *userJSONOf(u),
		AppID:     u.AppID,
		Disabled:  u.Disabled,
		UpdatedAt: u.UpdatedAt.UTC().Format(time.RFC3339),
	}
}

type adminSessionJSON struct {
	ID               string `json:"id"`
	UserID           string `json:"user_id"`
	AppID            string `json:"appid"`
	UserAgent        string `json:"user_agent"`
	IP               string `json:"ip"`
	CreatedAt        string `json:"created_at"`
	LastUsedAt       string `json:"last_used_at"`
	AccessExpiresAt  string `json:"access_expires_at"`
	RefreshExpiresAt string `json:"refresh_expires_at"`
}

func (s *Server) adminListUsers(c *gin.Context) {
	f := miniauth.UserFilter{AppID: c.Query("appid")}
	var err error
	if f.Offset, err = queryInt(c, "offset", 0, 0, 1<<31-1); err != nil {
		s.fail(c, err)
		return
	}
	if f.Limit, err = queryInt(c, "limit", miniauth.DefaultUserPage, 1, miniauth.MaxUserPage); err != nil {
		s.fail(c, err)
		return
	}
	users, err := s.svc.ListUsers(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]adminUserJSON, 0, len(users))
	for _, u := range users {
		out = append(out, adminUserJSONOf(u))
	}
	c.JSON(http.StatusOK, gin.H{"users": out})
}

func (s *Server) adminUser(c *gin.Context) {
	user, err := s.svc.User(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, adminUserJSONOf(user))
}

func (s *Server) adminSetDisabled(disabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		user, err := s.svc.SetUserDisabled(c.Request.Context(), c.Param("id"), disabled)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, adminUserJSONOf(user))
	}
}

func (s *Server) adminUserSessions(c *gin.Context) {
	sessions, err := s.svc.UserSessions(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]adminSessionJSON, 0, len(sessions))
	for _, ss := range sessions {
		out = append(out, adminSessionJSON{
			ID: ss.ID, UserID: ss.UserID, AppID: ss.AppID, UserAgent: ss.UserAgent, IP: ss.IP,
			CreatedAt:        ss.CreatedAt.UTC().Format(time.RFC3339),
			LastUsedAt:       ss.LastUsedAt.UTC().Format(time.RFC3339),
			AccessExpiresAt:  ss.AccessExpiresAt.UTC().Format(time.RFC3339),
			RefreshExpiresAt: ss.RefreshExpiresAt.UTC().Format(time.RFC3339),
		})
	}
	c.JSON(http.StatusOK, gin.H{"sessions": out})
}

func (s *Server) adminRevokeUserSessions(c *gin.Context) {
	n, err := s.svc.RevokeUserSessions(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"revoked": n})
}

func (s *Server) adminRevokeSession(c *gin.Context) {
	if err := s.svc.RevokeSession(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func queryInt(c *gin.Context, name string, def, lo, hi int) (int, error) {
	raw, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, miniauth.Errorf(miniauth.EInvalidRequest, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}
