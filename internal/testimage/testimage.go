// Package testimage makes the images the avatar tests upload: photos with
// GPS EXIF blocks, headers that claim huge sizes, transparent PNGs.
package testimage

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
)

// GPSMarker is a string inside the EXIF block of JPEGWithGPS, so that a
// test can see the block is gone.
const GPSMarker = "miniauth-test-camera"

// Gradient is an opaque w×h image with some detail.
func Gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			copy(row[4*x:], []byte{uint8(x * 255 / w), uint8(y * 255 / h), uint8(x ^ y), 0xff})
		}
	}
	return img
}

// JPEG encodes img.
func JPEG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PNG encodes img.
func PNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// JPEGWithGPS is a w×h JPEG photo with an EXIF APP1 block right after SOI
// that holds a GPS position (39°54'27.12"N) and the camera make GPSMarker.
func JPEGWithGPS(w, h int) []byte {
	plain := JPEG(Gradient(w, h))
	exif := exifWithGPS()
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(exif)))
	out := append([]byte{}, plain[:2]...) // SOI
	out = append(out, seg...)
	out = append(out, exif...)
	return append(out, plain[2:]...)
}

// exifWithGPS is "Exif\0\0" and a big-endian TIFF: IFD0 with Make and a
// GPS IFD pointer, and a GPS IFD with latitude.
func exifWithGPS() []byte {
	var t bytes.Buffer
	be := binary.BigEndian
	w16 := func(v uint16) { binary.Write(&t, be, v) }
	w32 := func(v uint32) { binary.Write(&t, be, v) }
	entry := func(tag, typ uint16, count, value uint32) { w16(tag); w16(typ); w32(count); w32(value) }

	const ifd0 = 8
	const gpsIFD = ifd0 + 2 + 2*12 + 4 // 38
	const gpsData = gpsIFD + 2 + 2*12 + 4
	const makeAt = gpsData + 3*8
	t.WriteString("MM")
	w16(42)
	w32(ifd0)
	w16(2)
	entry(0x010F, 2, uint32(len(GPSMarker)+1), makeAt) // Make
	entry(0x8825, 4, 1, gpsIFD)                        // GPS IFD pointer
	w32(0)
	w16(2)
	entry(0x0001, 2, 2, 'N'<<24) // GPSLatitudeRef "N"
	entry(0x0002, 5, 3, gpsData) // GPSLatitude
	w32(0)
	for _, r := range [][2]uint32{{39, 1}, {54, 1}, {2712, 100}} {
		w32(r[0])
		w32(r[1])
	}
	t.WriteString(GPSMarker + "\x00")
	return append([]byte("Exif\x00\x00"), t.Bytes()...)
}

// HugePNG is a w×h 8-bit grayscale PNG of zeros: a few kilobytes on disk
// (a decompression bomb when w and h are large), valid to the last byte.
func HugePNG(w, h int) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 0 // depth 8, grayscale
	chunk(&buf, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+w) // filter byte 0 and w zero pixels
	for range h {
		zw.Write(row)
	}
	zw.Close()
	chunk(&buf, "IDAT", z.Bytes())
	chunk(&buf, "IEND", nil)
	return buf.Bytes()
}

// HugeJPEGHeader is the start of a baseline JPEG that claims w×h: enough
// for a header reader, nothing to decode.
func HugeJPEGHeader(w, h int) []byte {
	small := JPEG(Gradient(8, 8))
	// Patch the SOF0 segment's height and width.
	i := bytes.Index(small, []byte{0xFF, 0xC0})
	out := append([]byte{}, small...)
	binary.BigEndian.PutUint16(out[i+5:], uint16(h))
	binary.BigEndian.PutUint16(out[i+7:], uint16(w))
	return out
}

// TransparentPNG is a w×h PNG whose left half is transparent.
func TransparentPNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := w / 2; x < w; x++ {
			img.Set(x, y, color.NRGBA{200, 30, 30, 255})
		}
	}
	return PNG(img)
}

func chunk(w io.Writer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	w.Write([]byte(typ))
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// PadPNG grows a PNG to exactly size bytes with an ancillary private chunk
// right after IHDR, which decoders skip.
func PadPNG(data []byte, size int) []byte {
	const afterIHDR = 8 + 12 + 13
	pad := size - len(data) - 12
	if pad < 0 {
		panic("testimage: PNG already larger than the size asked")
	}
	var buf bytes.Buffer
	buf.Write(data[:afterIHDR])
	chunk(&buf, "prVt", make([]byte, pad))
	buf.Write(data[afterIHDR:])
	return buf.Bytes()
}
