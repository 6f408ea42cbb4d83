package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/silenceper/wechat/v2/util"

	"github.com/miniauth/miniauth"
)

// epCodeUnlimit makes a mini-program code with a scene, without limit on
// how many codes (but not on how often: WeChat answers 45009 past its
// quota, hence the cache).
const epCodeUnlimit = "wxa/getwxacodeunlimit"

// DefaultCodeCacheEntries is Options.CodeCacheEntries unless set: a code
// image is a few kilobytes (real WeChat: a 430-pixel image, up to about
// 60 KB), so the cache holds at most about 30 MB.
const DefaultCodeCacheEntries = 512

// maxCodeImage bounds the answer read from WeChat.
const maxCodeImage = 2 << 20

// codeWidth is the image's width in pixels: WeChat's default.
const codeWidth = 430

var _ miniauth.CodeImages = (*Client)(nil)

// codeCache keeps code images by app, page and scene, so that a page shown
// again (a reload) does not cost another call. Least recently used first
// out.
type codeCache = lru.Cache[string, *miniauth.CodeImage]

func newCodeCache(entries int) *codeCache {
	if entries <= 0 {
		entries = DefaultCodeCacheEntries
	}
	c, _ := lru.New[string, *miniauth.CodeImage](entries) // only fails for a size <= 0
	return c
}

type codeRequest struct {
	Scene      string `json:"scene"`
	Page       string `json:"page"`
	CheckPath  bool   `json:"check_path"`
	EnvVersion string `json:"env_version"`
	Width      int    `json:"width"`
}

// UnlimitedCode returns the code of page of the app with scene, from the
// cache or from wxa/getwxacodeunlimit, with the app's shared access token
// (refreshed once and retried once when WeChat reports it invalid). The
// page need not be published yet (check_path false), so that a development
// build can be tried.
func (c *Client) UnlimitedCode(ctx context.Context, appID, scene, page string) (*miniauth.CodeImage, error) {
	if _, err := c.app(appID); err != nil {
		return nil, err
	}
	if scene == "" || len(scene) > 32 {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "a code's scene must be 1 to 32 characters")
	}
	key := appID + "\x00" + page + "\x00" + scene
	if img, ok := c.codes.Get(key); ok {
		return img, nil
	}
	tok, err := c.tokens.get(ctx, appID)
	if err != nil {
		return nil, err
	}
	req := codeRequest{Scene: scene, Page: page, EnvVersion: "release", Width: codeWidth}
	img, errcode, err := c.codeOnce(ctx, appID, tok, req)
	if errcode == 40001 || errcode == 42001 {
		if tok, err = c.tokens.invalid(ctx, appID, tok); err != nil {
			return nil, err
		}
		img, _, err = c.codeOnce(ctx, appID, tok, req)
	}
	if err != nil {
		return nil, err
	}
	c.codes.Add(key, img)
	return img, nil
}

// codeOnce makes one call. WeChat answers the image with an image type, or
// an error as JSON with HTTP 200: the Content-Type tells them apart.
func (c *Client) codeOnce(ctx context.Context, appID, token string, req codeRequest) (*miniauth.CodeImage, int64, error) {
	var img *miniauth.CodeImage
	var res util.CommonError
	u := "https://" + wechatHost + "/" + epCodeUnlimit + "?access_token=" + url.QueryEscape(token)
	err := c.do(ctx, appID, epCodeUnlimit, func(ctx context.Context) (int64, string, error) {
		body, contentType, err := postForImage(ctx, u, req)
		if err != nil {
			return 0, "", err
		}
		if strings.HasPrefix(contentType, "image/") {
			img = &miniauth.CodeImage{ContentType: contentType, Data: body}
			return 0, "", nil
		}
		if err := json.Unmarshal(body, &res); err != nil || res.ErrCode == 0 {
			return 0, "", errBadJSON
		}
		return res.ErrCode, res.ErrMsg, fmt.Errorf("errcode %d", res.ErrCode)
	})
	if err != nil {
		return nil, res.ErrCode, err
	}
	return img, 0, nil
}

// postForImage posts req as JSON through the SDK's HTTP client (our
// routing transport) and returns the body and its media type. The SDK's
// own helper for this takes no context.
func postForImage(ctx context.Context, u string, req codeRequest) ([]byte, string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, "", err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return nil, "", err
	}
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := util.DefaultHTTPClient.Do(r)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCodeImage+1))
	if err != nil {
		return nil, "", err
	}
	if len(body) > maxCodeImage {
		return nil, "", errBadJSON
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return body, mediaType, nil
}
