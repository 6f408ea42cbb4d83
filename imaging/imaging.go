// Package imaging turns an uploaded avatar into the image miniauth stores:
// the type sniffed from the bytes (PNG, JPEG, WebP), the dimensions checked
// in the header before anything is decoded, then decoded, scaled down to fit
// a square (Catmull-Rom) and encoded again as JPEG, or as PNG when the image
// has transparency. Encoding anew keeps no metadata block of the upload
// (EXIF, GPS, XMP, ICC profiles, comments).
//
// Decoding a 4096×4096 image takes up to a few hundred megabytes, whatever
// the size of the file, so decodes share a memory budget: each waits until
// its estimated cost fits.
package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"runtime"
	"time"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
	"golang.org/x/sync/semaphore"

	"github.com/miniauth/miniauth"
)

// Defaults of Options.
const (
	DefaultMaxSide      = 4096      // widest or tallest image accepted
	DefaultMaxOut       = 512       // images are scaled down to fit MaxOut×MaxOut
	DefaultDecodeMemory = 256 << 20 // bytes that concurrent decodes may take together
	DefaultJPEGQuality  = 85
	// DefaultDecodeWait bounds the wait for a turn to decode: an upload
	// answers 503 rather than outlive the server's write timeout (30 s).
	DefaultDecodeWait = 20 * time.Second
	// bigDecode is the cost past which a decode's garbage is collected at
	// once: left to the pacer, a heap that just held a 200 MB image may grow
	// to twice that before the next collection.
	bigDecode = 32 << 20
)

// Options configure a Processor. Zero fields take the defaults.
type Options struct {
	MaxSide      int
	MaxOut       int
	DecodeMemory int64
	DecodeWait   time.Duration
	JPEGQuality  int
}

func (o Options) withDefaults() Options {
	if o.MaxSide <= 0 {
		o.MaxSide = DefaultMaxSide
	}
	if o.MaxOut <= 0 {
		o.MaxOut = DefaultMaxOut
	}
	if o.DecodeMemory <= 0 {
		o.DecodeMemory = DefaultDecodeMemory
	}
	if o.DecodeWait <= 0 {
		o.DecodeWait = DefaultDecodeWait
	}
	if o.JPEGQuality <= 0 || o.JPEGQuality > 100 {
		o.JPEGQuality = DefaultJPEGQuality
	}
	return o
}

// Processor implements miniauth.ImageProcessor. It is safe for concurrent
// use.
type Processor struct {
	opts   Options
	budget *semaphore.Weighted
}

var _ miniauth.ImageProcessor = (*Processor)(nil)

// New returns a Processor.
func New(opts Options) *Processor {
	opts = opts.withDefaults()
	return &Processor{opts: opts, budget: semaphore.NewWeighted(opts.DecodeMemory)}
}

// Process reads the upload from r (the caller bounds its size) and returns
// the image to store.
func (p *Processor) Process(ctx context.Context, r io.Reader) (*miniauth.ProcessedImage, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, miniauth.WrapError(miniauth.EInvalidRequest, "could not read the image", err)
	}
	f, ok := sniff(data)
	if !ok {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "the file is not a PNG, JPEG or WebP image")
	}
	cfg, err := f.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, undecodable(f, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > p.opts.MaxSide || cfg.Height > p.opts.MaxSide {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "the image is %d×%d pixels; at most %d×%d are accepted",
			cfg.Width, cfg.Height, p.opts.MaxSide, p.opts.MaxSide)
	}
	out := fit(cfg.Width, cfg.Height, p.opts.MaxOut)
	cost := min(f.decodeCost(data, cfg)+scaleCost(cfg, out), p.opts.DecodeMemory)
	dst, err := p.decodeInTurn(ctx, cost, func() (*image.RGBA, error) { return p.decodeAndScale(f, data, cfg, out) })
	if err != nil {
		return nil, err
	}
	return p.encode(dst)
}

// decodeInTurn runs decode once cost fits in the budget.
func (p *Processor) decodeInTurn(ctx context.Context, cost int64, decode func() (*image.RGBA, error)) (*image.RGBA, error) {
	wait, cancel := context.WithTimeout(ctx, p.opts.DecodeWait)
	err := p.budget.Acquire(wait, cost)
	cancel()
	if err != nil {
		return nil, miniauth.WrapError(miniauth.EUpstreamUnavailable, "the server is busy with other images; try again", err)
	}
	defer p.budget.Release(cost)
	dst, err := decode()
	if cost >= bigDecode {
		runtime.GC()
	}
	return dst, err
}

func (p *Processor) decodeAndScale(f format, data []byte, cfg image.Config, out image.Point) (*image.RGBA, error) {
	src, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, undecodable(f, err)
	}
	if b := src.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, miniauth.Errorf(miniauth.EInvalidRequest, "the %s image's size differs from its header", f.name)
	}
	dst := image.NewRGBA(image.Rectangle{Max: out})
	if out.X == cfg.Width && out.Y == cfg.Height {
		draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	}
	return dst, nil
}

// encode writes JPEG, or PNG when any pixel is not fully opaque.
func (p *Processor) encode(img *image.RGBA) (*miniauth.ProcessedImage, error) {
	var buf bytes.Buffer
	if img.Opaque() {
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: p.opts.JPEGQuality}); err != nil {
			return nil, fmt.Errorf("imaging: encoding JPEG: %w", err)
		}
		return &miniauth.ProcessedImage{Data: buf.Bytes(), Ext: "jpg", ContentType: "image/jpeg"}, nil
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("imaging: encoding PNG: %w", err)
	}
	return &miniauth.ProcessedImage{Data: buf.Bytes(), Ext: "png", ContentType: "image/png"}, nil
}

func undecodable(f format, err error) error {
	return miniauth.WrapError(miniauth.EInvalidRequest, "the "+f.name+" image cannot be decoded", err)
}

// fit is the size of a w×h image scaled down to fit max×max, aspect kept;
// smaller images keep their size.
func fit(w, h, maxSide int) image.Point {
	if w <= maxSide && h <= maxSide {
		return image.Point{w, h}
	}
	if w >= h {
		return image.Point{maxSide, max(1, (h*maxSide+w/2)/w)}
	}
	return image.Point{max(1, (w*maxSide+h/2)/h), maxSide}
}

// scaleCost is what scaling takes: the Catmull-Rom scaler's intermediate
// buffer (4 float64 per pixel, output width × source height) and the output.
func scaleCost(src image.Config, out image.Point) int64 {
	c := int64(out.X) * int64(out.Y) * 4
	if out.X != src.Width || out.Y != src.Height {
		c += int64(out.X) * int64(src.Height) * 32
	}
	return c
}

// format is one accepted image type.
type format struct {
	name, mime   string
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
	// bytesPerPixel bounds what decoding takes per pixel, decoder state
	// included.
	bytesPerPixel func(data []byte) int64
}

var formats = []format{
	{"PNG", "image/png", png.DecodeConfig, png.Decode, pngBytesPerPixel},
	// Progressive JPEG keeps every DCT coefficient (4 bytes per sample,
	// 3 samples a pixel) besides the image itself.
	{"JPEG", "image/jpeg", jpeg.DecodeConfig, jpeg.Decode, func([]byte) int64 { return 15 }},
	// Lossless WebP decodes into 32-bit pixels and then NRGBA.
	{"WebP", "image/webp", webp.DecodeConfig, webp.Decode, func([]byte) int64 { return 8 }},
}

// sniff finds the format from the first bytes, as browsers do
// (http.DetectContentType); the file name and the part's Content-Type are
// never asked.
func sniff(data []byte) (format, bool) {
	mime := http.DetectContentType(data)
	for _, f := range formats {
		if f.mime == mime {
			return f, true
		}
	}
	return format{}, false
}

func (f format) decodeCost(data []byte, cfg image.Config) int64 {
	return int64(cfg.Width) * int64(cfg.Height) * f.bytesPerPixel(data)
}

// pngBytesPerPixel: up to 8 bytes (16-bit RGBA), twice that for an
// interlaced image, whose passes are decoded into images of their own.
func pngBytesPerPixel(data []byte) int64 {
	const interlaceOffset = 8 + 4 + 4 + 4 + 4 + 1 + 1 + 1 + 1 // signature, IHDR length, type, width, height, depth, color, compression, filter
	if len(data) > interlaceOffset && data[interlaceOffset] == 1 {
		return 16
	}
	return 8
}
