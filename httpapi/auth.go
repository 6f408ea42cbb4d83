package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

type loginRequest struct {
	Code  string `json:"code"`
	AppID string `json:"appid"`
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

type tokenResponse struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    int64     `json:"expires_in"`
	RefreshToken string    `json:"refresh_token"`
	NewUser      *bool     `json:"new_user,omitempty"`
	User         *userJSON `json:"user"`
}

func tokenResponseOf(r *miniauth.LoginResult, withNewUser bool) tokenResponse {
	resp := tokenResponse{
		AccessToken:  r.AccessToken,
		TokenType:    "Bearer",
		ExpiresIn:    int64(r.ExpiresIn.Round(time.Second) / time.Second),
		RefreshToken: r.RefreshToken,
		User:         userJSONOf(r.User),
	}
	if withNewUser {
		resp.NewUser = &r.NewUser
	}
	return resp
}

func (s *Server) login(c *gin.Context) {
	res, err := s.loginOf(c)
	if s.countAndFail(c, s.metrics.logins, err) {
		return
	}
	c.JSON(http.StatusOK, tokenResponseOf(res, true).at(c))
}

// loginOf reads the login request and logs in.
func (s *Server) loginOf(c *gin.Context) (*miniauth.LoginResult, error) {
	var req loginRequest
	if err := s.bindJSON(c, &req); err != nil {
		return nil, err
	}
	return s.svc.Login(c.Request.Context(), miniauth.LoginRequest{
		AppID:     req.AppID,
		Code:      req.Code,
		UserAgent: c.Request.UserAgent(),
		IP:        c.ClientIP(),
	})
}

func (s *Server) refresh(c *gin.Context) {
	res, err := s.refreshOf(c)
	if s.countAndFail(c, s.metrics.refreshes, err) {
		return
	}
	c.JSON(http.StatusOK, tokenResponseOf(res, false).at(c))
}

// refreshOf reads the refresh request and refreshes.
func (s *Server) refreshOf(c *gin.Context) (*miniauth.LoginResult, error) {
	var req refreshRequest
	if err := s.bindJSON(c, &req); err != nil {
		return nil, err
	}
	if req.RefreshToken == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "refresh_token is required")
	}
	return s.svc.Refresh(c.Request.Context(), miniauth.RefreshRequest{
		RefreshToken: req.RefreshToken,
		UserAgent:    c.Request.UserAgent(),
		IP:           c.ClientIP(),
	})
}

func (s *Server) logout(c *gin.Context) {
	err := s.svc.Logout(c.Request.Context(), miniauth.LogoutRequest{
		Session:   sessionOf(c),
		UserAgent: c.Request.UserAgent(),
		IP:        c.ClientIP(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// verify is for gateways: the identity goes into headers that the gateway
// passes on, and into the body for everybody else. It is the hot path, so
// its small body is written by hand instead of through reflection.
func (s *Server) verify(c *gin.Context) {
	session := sessionOf(c)
	h := c.Writer.Header()
	h["X-User-Id"] = []string{session.UserID}
	h["X-Openid"] = []string{session.OpenID}
	h["X-Appid"] = []string{session.AppID}
	h["Content-Type"] = jsonContentType
	buf := make([]byte, 0, 192)
	buf = append(buf, `{"user_id":`...)
	buf = appendJSONString(buf, session.UserID)
	buf = append(buf, `,"openid":`...)
	buf = appendJSONString(buf, session.OpenID)
	buf = append(buf, `,"appid":`...)
	buf = appendJSONString(buf, session.AppID)
	buf = append(buf, `,"expires_at":"`...)
	buf = session.AccessExpiresAt.UTC().AppendFormat(buf, time.RFC3339)
	buf = append(buf, `"}`...)
	c.Status(http.StatusOK)
	c.Writer.Write(buf)
}

var jsonContentType = []string{"application/json; charset=utf-8"}
