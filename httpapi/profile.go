package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// Routes of the profile, also the keys of routeBodyLimit.
const (
	routeAvatarUpload = "/api/v1/me/avatar"
	routeAvatarFile   = "/avatars/:name"
)

// DefaultAvatarMaxBytes is the largest avatar file accepted unless
// configured.
const DefaultAvatarMaxBytes = 1 << 20

// multipartAllowance is what the multipart envelope (boundaries, part
// headers, small fields such as wx.uploadFile's formData) may add to the
// file: the limit of avatar.max_bytes is on the file itself, so a file of
// exactly that size is taken however it is wrapped.
const multipartAllowance = 64 << 10

// avatarCacheControl: a name stands for its bytes forever.
const avatarCacheControl = "public, max-age=31536000, immutable"

func (s *Server) profileRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	v1.PATCH("/me", s.authenticate, s.setNickname)
	// The same for mini programs: wx.request, my.request and tt.request
	// cannot send PATCH (their method lists stop at PUT).
	v1.PUT("/me", s.authenticate, s.setNickname)
	v1.POST("/me/avatar", s.authenticate, s.uploadAvatar)
	r.GET(routeAvatarFile, s.avatarFile)
	r.HEAD(routeAvatarFile, s.avatarFile)
}

// bodyLimitOf is the body limit of a route: the avatar upload takes files
// up to AvatarMaxBytes, every other route the JSON body limit.
func (s *Server) bodyLimitOf(route string) int64 {
	if route == routeAvatarUpload {
		return s.opts.AvatarMaxBytes + multipartAllowance
	}
	return s.opts.BodyLimit
}

type nicknameRequest struct {
	Nickname *string `json:"nickname"`
}

func (s *Server) setNickname(c *gin.Context) {
	var req nicknameRequest
	if err := s.bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Nickname == nil {
		s.fail(c, miniauth.Errorf(miniauth.EInvalidRequest, "nickname is required"))
		return
	}
	user, err := s.svc.SetNickname(c.Request.Context(), sessionOf(c), *req.Nickname)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, userJSONOf(user).at(c))
}

func (s *Server) uploadAvatar(c *gin.Context) {
	file, err := s.avatarPart(c.Request)
	if err != nil {
		s.fail(c, err)
		return
	}
	user, err := s.svc.SetAvatar(c.Request.Context(), sessionOf(c), bytes.NewReader(file))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, userJSONOf(user).at(c))
}

// avatarPart reads the multipart body as a stream and returns the part
// named "file", refusing it past AvatarMaxBytes. Its Content-Type and file
// name are ignored: the image's type is sniffed from its bytes.
func (s *Server) avatarPart(r *http.Request) ([]byte, error) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "expected multipart/form-data with the image in a part named \"file\"")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, s.multipartError(err, "no part named \"file\"")
		}
		if part.FormName() != "file" {
			continue // the reader skips what is left of it
		}
		limit := s.opts.AvatarMaxBytes
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return nil, s.multipartError(err, "the multipart body is malformed")
		}
		if int64(len(data)) > limit {
			return nil, miniauth.Errorf(miniauth.EPayloadTooLarge, "the image is larger than %d bytes", limit)
		}
		return data, nil
	}
}

func (s *Server) multipartError(err error, atEOF string) error {
	switch {
	case isTooLarge(err):
		return miniauth.Errorf(miniauth.EPayloadTooLarge, "the upload is larger than %d bytes", s.bodyLimitOf(routeAvatarUpload))
	case errors.Is(err, io.EOF):
		return miniauth.Errorf(miniauth.EInvalidRequest, "%s", atEOF)
	}
	return miniauth.WrapError(miniauth.EInvalidRequest, "the multipart body is malformed", err)
}

// avatarFile serves an avatar kept in the data dir (GET and HEAD).
func (s *Server) avatarFile(c *gin.Context) {
	a, err := s.svc.Avatar(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", avatarCacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+strings.TrimSuffix(strings.TrimSuffix(a.Name, ".jpg"), ".png")+`"`)
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	if c.GetHeader("If-None-Match") == h.Get("ETag") {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, a.ContentType, a.Data)
}

// at makes a path-only avatar URL (avatars in the data dir without
// http.public_url) absolute with the scheme and host this request came to.
// Building it per answer, rather than storing it, keeps a forged Host header
// out of what other users are shown.
func (u *userJSON) at(c *gin.Context) *userJSON {
	if strings.HasPrefix(u.AvatarURL, "/") {
		u.AvatarURL = requestOrigin(c) + u.AvatarURL
	}
	return u
}

func (r tokenResponse) at(c *gin.Context) tokenResponse {
	r.User = r.User.at(c)
	return r
}

// requestOrigin is scheme://host of the request. X-Forwarded-Proto is
// believed from trusted proxies only.
func requestOrigin(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	} else if p := c.GetHeader("X-Forwarded-Proto"); (p == "https" || p == "http") && c.RemoteIP() != c.ClientIP() {
		scheme = p
	}
	return scheme + "://" + c.Request.Host
}
