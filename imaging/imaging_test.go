package imaging_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/imaging"
	"github.com/miniauth/miniauth/internal/testimage"
)

func process(t testing.TB, p *imaging.Processor, data []byte) (*miniauth.ProcessedImage, error) {
	t.Helper()
	return p.Process(context.Background(), bytes.NewReader(data))
}

func decodeOut(t *testing.T, out *miniauth.ProcessedImage) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch out.Ext {
	case "jpg":
		img, err = jpeg.Decode(bytes.NewReader(out.Data))
	case "png":
		img, err = png.Decode(bytes.NewReader(out.Data))
	default:
		t.Fatalf("ext %q", out.Ext)
	}
	if err != nil {
		t.Fatalf("the output does not decode as %s: %v", out.Ext, err)
	}
	return img
}

func TestScalesDownToFitAndKeepsSmallImages(t *testing.T) {
	p := imaging.New(imaging.Options{})
	tests := []struct {
		name       string
		data       []byte
		wantW      int
		wantH      int
		wantFormat string
	}{
		{"wide JPEG", testimage.JPEG(testimage.Gradient(1000, 500)), 512, 256, "jpg"},
		{"tall PNG", testimage.PNG(testimage.Gradient(300, 1200)), 128, 512, "jpg"},
		{"small kept", testimage.JPEG(testimage.Gradient(132, 132)), 132, 132, "jpg"},
		{"exactly 512", testimage.PNG(testimage.Gradient(512, 512)), 512, 512, "jpg"},
		{"a line", testimage.PNG(testimage.Gradient(4096, 1)), 512, 1, "jpg"},
		{"transparent PNG stays PNG", testimage.TransparentPNG(800, 400), 512, 256, "png"},
		{"lossy WebP", readFile(t, "testdata/lossy.webp"), 0, 0, "jpg"},
		{"WebP with alpha", readFile(t, "testdata/alpha.lossless.webp"), 0, 0, "png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := process(t, p, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if out.Ext != tt.wantFormat {
				t.Fatalf("format %s; want %s", out.Ext, tt.wantFormat)
			}
			b := decodeOut(t, out).Bounds()
			if b.Dx() > 512 || b.Dy() > 512 || (tt.wantW != 0 && (b.Dx() != tt.wantW || b.Dy() != tt.wantH)) {
				t.Fatalf("size %dx%d; want %dx%d", b.Dx(), b.Dy(), tt.wantW, tt.wantH)
			}
		})
	}
}

func TestDropsEXIFAndGPS(t *testing.T) {
	in := testimage.JPEGWithGPS(640, 480)
	if !bytes.Contains(in, []byte(testimage.GPSMarker)) || !bytes.Contains(in, []byte("Exif\x00\x00")) {
		t.Fatal("the test image has no EXIF block")
	}
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the test image is not a valid JPEG: %v", err)
	}
	out, err := process(t, imaging.New(imaging.Options{}), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Exif", testimage.GPSMarker, "\xFF\xE1"} {
		if bytes.Contains(out.Data, []byte(s)) {
			t.Errorf("the output still holds %q", s)
		}
	}
}

func TestRefusesWhatIsNotAnAcceptedImage(t *testing.T) {
	p := imaging.New(imaging.Options{})
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	jpg := testimage.JPEG(testimage.Gradient(64, 64))
	tests := map[string]struct {
		data []byte
		msg  string
	}{
		"text":          {[]byte("hello, this is not an image\n"), "not a PNG, JPEG or WebP"},
		"GIF":           {gif, "not a PNG, JPEG or WebP"},
		"empty":         {nil, "not a PNG, JPEG or WebP"},
		"BMP":           {append([]byte("BM"), make([]byte, 60)...), "not a PNG, JPEG or WebP"},
		"truncated":     {jpg[:len(jpg)/2], "cannot be decoded"},
		"PNG signature": {[]byte("\x89PNG\r\n\x1a\nnothing else"), "cannot be decoded"},
		"zero width":    {testimage.HugePNG(0, 10), "cannot be decoded"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := process(t, p, tt.data)
			if miniauth.ErrorCode(err) != miniauth.EInvalidRequest || !strings.Contains(miniauth.ErrorMessage(err), tt.msg) {
				t.Fatalf("err = %v; want invalid_request saying %q", err, tt.msg)
			}
		})
	}
}

// A 5000×5000 PNG of zeros is some 30 KB that would decode to 25 MB: it is
// refused from its header, before the decoder allocates anything.
func TestRefusesHugeDimensionsBeforeDecoding(t *testing.T) {
	p := imaging.New(imaging.Options{})
	for name, data := range map[string][]byte{
		"PNG 5000x5000":  testimage.HugePNG(5000, 5000),
		"PNG 4097x1":     testimage.HugePNG(4097, 1),
		"PNG 1x4097":     testimage.HugePNG(1, 4097),
		"JPEG 5000x5000": testimage.HugeJPEGHeader(5000, 5000),
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := process(t, p, data)
			runtime.ReadMemStats(&after)
			if miniauth.ErrorCode(err) != miniauth.EInvalidRequest || !strings.Contains(miniauth.ErrorMessage(err), "at most 4096×4096") {
				t.Fatalf("err = %v", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Fatalf("refusing allocated %d bytes: the image was decoded", grew)
			}
		})
	}
	if _, err := process(t, p, testimage.HugePNG(4096, 16)); err != nil {
		t.Fatalf("4096 wide is allowed: %v", err)
	}
}

func TestConfigurableLimits(t *testing.T) {
	p := imaging.New(imaging.Options{MaxSide: 100, MaxOut: 32})
	if _, err := process(t, p, testimage.PNG(testimage.Gradient(101, 10))); miniauth.ErrorCode(err) != miniauth.EInvalidRequest {
		t.Fatalf("101 wide with MaxSide 100: %v", err)
	}
	out, err := process(t, p, testimage.PNG(testimage.Gradient(100, 50)))
	if err != nil {
		t.Fatal(err)
	}
	if b := decodeOut(t, out).Bounds(); b.Dx() != 32 || b.Dy() != 16 {
		t.Fatalf("size %v; want 32x16", b)
	}
}

// With a budget that holds one decode at a time, concurrent uploads wait
// their turn rather than fail, and a caller that gives up while waiting gets
// upstream_unavailable.
func TestDecodeBudget(t *testing.T) {
	p := imaging.New(imaging.Options{DecodeMemory: 1 << 20})
	data := testimage.JPEG(testimage.Gradient(600, 600))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := p.Process(context.Background(), bytes.NewReader(data))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Process(ctx, bytes.NewReader(data)); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("waiting with a dead context: %v", err)
	}
}

// Uploads that cannot get a turn within DecodeWait answer 503; the one
// holding the budget finishes.
func TestDecodeWait(t *testing.T) {
	p := imaging.New(imaging.Options{DecodeMemory: 1 << 20, DecodeWait: 20 * time.Millisecond})
	big := testimage.JPEG(testimage.Gradient(2048, 2048)) // costs the whole budget
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			_, err := p.Process(context.Background(), bytes.NewReader(big))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	var ok, busy int
	for err := range errs {
		switch miniauth.ErrorCode(err) {
		case "":
			ok++
		case miniauth.EUpstreamUnavailable:
			busy++
		default:
			t.Fatal(err)
		}
	}
	if ok == 0 || busy == 0 {
		t.Fatalf("%d done, %d turned away; want some of each", ok, busy)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
