package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/miniauth/miniauth/internal/testimage"
	"github.com/miniauth/miniauth/internal/testserver"
)

// TestAvatarUploadToS3 runs a node whose avatars go to a real S3 server: the
// URL points at avatar.public_url and the object lacks the photo's EXIF.
func TestAvatarUploadToS3(t *testing.T) {
	srv := testserver.S3(t)
	client, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: srv.Region})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bucket := fmt.Sprintf("node-avatars-%d", time.Now().UnixNano()%1e9)
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: srv.Region}); err != nil {
		t.Fatal(err)
	}
	n := startTestNode(t,
		"MINIAUTH_AVATAR_STORE=s3://"+bucket+"?endpoint="+srv.Endpoint+"&region="+srv.Region+"&tls=false",
		"MINIAUTH_AVATAR_PUBLIC_URL=https://cdn.example.com/",
		"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey)
	token := n.login(t, "").AccessToken

	r := upload(t, n.URL+"/api/v1/me/avatar", token, "p.jpg", "image/jpeg", testimage.JPEGWithGPS(800, 800))
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	url, _ := r.json(t)["avatar_url"].(string)
	name, ok := strings.CutPrefix(url, "https://cdn.example.com/avatars/")
	if !ok {
		t.Fatalf("avatar_url %q; want it under the public URL", url)
	}
	obj, err := client.GetObject(ctx, bucket, "avatars/"+name, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("the object is not in the bucket: %v", err)
	}
	if bytes.Contains(data, []byte("Exif")) || bytes.Contains(data, []byte(testimage.GPSMarker)) {
		t.Fatal("the stored object has the EXIF/GPS block")
	}
	if r := call(t, "GET", n.URL+"/readyz", "", nil); r.status != 200 {
		t.Fatalf("readyz with the bucket there: %d %s", r.status, r.body)
	}
}
