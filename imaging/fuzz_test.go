package imaging_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/imaging"
)

// FuzzProcess feeds arbitrary bytes to the avatar pipeline: it must never
// panic, must answer invalid_request for what it refuses, and what it accepts
// must be a valid JPEG or PNG within 64×64 (the fuzz limits below keep each
// run small). Seeds: testdata/fuzz/FuzzProcess.
func FuzzProcess(f *testing.F) {
	p := imaging.New(imaging.Options{MaxSide: 256, MaxOut: 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := p.Process(context.Background(), bytes.NewReader(data))
		if err != nil {
			if code := miniauth.ErrorCode(err); code != miniauth.EInvalidRequest {
				t.Fatalf("code %s for a bad image: %v", code, err)
			}
			return
		}
		var cfgErr error
		var w, h int
		switch out.Ext {
		case "jpg":
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(out.Data))
			w, h, cfgErr = cfg.Width, cfg.Height, err
		case "png":
			cfg, err := png.DecodeConfig(bytes.NewReader(out.Data))
			w, h, cfgErr = cfg.Width, cfg.Height, err
		default:
			t.Fatalf("ext %q", out.Ext)
		}
		if cfgErr != nil || w < 1 || h < 1 || w > 64 || h > 64 {
			t.Fatalf("output %s %dx%d, %v", out.Ext, w, h, cfgErr)
		}
	})
}
