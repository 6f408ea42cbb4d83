package wxsim

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Mini-program codes (POST wxa/getwxacodeunlimit). Real WeChat draws its
// round "sun" code, which only WeChat reads; the simulator draws a QR code
// of the scene instead, so that a test (or a person with any QR reader) can
// read back what a scan would hand the mini program.
//
// Choices where WeChat's behaviour is unknown or the simulator must decide:
//
//   - The scene is 1 to 32 characters of WeChat's set (letters, digits and
//     !#$&'()*+,/:;=?@-._~); anything else answers 40169.
//   - page is empty (the home page) or a path without a leading slash or a
//     query; with check_path (true unless sent false) it must be one of
//     Options.Pages when those are given. Otherwise 41030.
//   - width is clamped to 280..1280 pixels, default 430, as WeChat does.
//   - The answer is image/png, HTTP 200.

const (
	maxScene        = 32
	defaultWidth    = 430
	minWidth        = 280
	maxWidth        = 1280
	pngContentType  = "image/png"
	sceneCharacters = "!#$&'()*+,/:;=?@-._~"
)

type codeRequest struct {
	Scene      string `json:"scene"`
	Page       string `json:"page"`
	CheckPath  *bool  `json:"check_path"`
	EnvVersion string `json:"env_version"`
	Width      int    `json:"width"`
}

// codeUnlimit is POST wxa/getwxacodeunlimit.
func (s *Simulator) codeUnlimit(r *http.Request) response {
	if _, errcode := s.checkToken(r.URL.Query().Get("access_token")); errcode != 0 {
		return s.wechatErr(errcode)
	}
	body, tooLarge, err := readBody(r)
	if err != nil || tooLarge {
		return s.wechatErr(47001)
	}
	var req codeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return s.wechatErr(47001)
	}
	if !validScene(req.Scene) {
		return s.wechatErr(40169)
	}
	if !s.validPage(req.Page, req.CheckPath == nil || *req.CheckPath) {
		return s.wechatErr(41030)
	}
	switch req.EnvVersion {
	case "", "release", "trial", "develop":
	default:
		return s.wechatErr(40097)
	}
	width := req.Width
	if width == 0 {
		width = defaultWidth
	}
	width = min(max(width, minWidth), maxWidth)
	img, err := drawQR(req.Scene, width)
	if err != nil {
		return s.wechatErr(-1)
	}
	return response{contentType: pngContentType, body: img}
}

// drawQR draws the QR code of text as a width × width PNG. It maps each
// pixel to its module itself, rather than through go-qrcode's drawing (a
// Set per pixel), which costs ten times more: the load benchmark and the
// race detector both feel it.
func drawQR(text string, width int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	modules := q.Bitmap() // with its quiet zone
	n := len(modules)
	img := image.NewPaletted(image.Rect(0, 0, width, width), color.Palette{color.White, color.Black})
	row := make([]uint8, width)
	for y := range width {
		line := modules[y*n/width]
		for x := range row {
			row[x] = 0
			if line[x*n/width] {
				row[x] = 1
			}
		}
		copy(img.Pix[y*img.Stride:], row)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func validScene(scene string) bool {
	if scene == "" || len(scene) > maxScene {
		return false
	}
	for _, c := range scene {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(sceneCharacters, c)) {
			return false
		}
	}
	return true
}

func (s *Simulator) validPage(page string, checkPath bool) bool {
	if page == "" {
		return true
	}
	if strings.HasPrefix(page, "/") || strings.ContainsAny(page, "?#") || len(page) > 256 {
		return false
	}
	return !checkPath || len(s.pages) == 0 || s.pages[page]
}
