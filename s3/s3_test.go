package s3_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/s3"
	"github.com/miniauth/miniauth/storetest"
)

func TestMain(m *testing.M) { testserver.Main(m) }

var bucketSeq atomic.Int64

// newBucket makes a bucket of the test's own on the shared S3 server and
// returns the store URL of it and a client for looking inside.
func newBucket(t *testing.T) (string, *minio.Client, *testserver.S3Server) {
	t.Helper()
	srv := testserver.S3(t)
	client, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: srv.Region})
	if err != nil {
		t.Fatal(err)
	}
	bucket := fmt.Sprintf("avatars-%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: srv.Region}); err != nil {
		t.Fatalf("make bucket: %v\n%s", err, srv.Log())
	}
	return fmt.Sprintf("s3://%s?endpoint=%s&region=%s&tls=false", bucket, srv.Endpoint, srv.Region), client, srv
}

func open(t *testing.T, url string, srv *testserver.S3Server) *s3.Store {
	t.Helper()
	st, err := s3.Open(url, s3.Credentials{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestS3Contract(t *testing.T) {
	url, _, srv := newBucket(t)
	storetest.AvatarStore(t, open(t, url, srv))
}

func TestObjectsCarryTypeAndImmutableCaching(t *testing.T) {
	url, client, srv := newBucket(t)
	st := open(t, url, srv)
	ctx := context.Background()
	a := storetest.NewAvatar([]byte("\x89PNG fake"), "png")
	if err := st.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	bucket := strings.TrimPrefix(strings.Split(url, "?")[0], "s3://")
	info, err := client.StatObject(ctx, bucket, "avatars/"+a.Name, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "image/png" || info.Metadata.Get("Cache-Control") != s3.CacheControl {
		t.Fatalf("object %s: Content-Type %q, Cache-Control %q", info.Key, info.ContentType, info.Metadata.Get("Cache-Control"))
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestFailuresAreUpstreamUnavailable(t *testing.T) {
	url, _, srv := newBucket(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a := storetest.NewAvatar([]byte("x"), "jpg")

	wrongKey, err := s3.Open(url, s3.Credentials{AccessKey: srv.AccessKey, SecretKey: "wrong-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := wrongKey.Put(ctx, a); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Errorf("wrong secret: %v", err)
	}
	if strings.Contains(fmt.Sprint(err), "wrong-secret") {
		t.Errorf("the secret is in the error: %v", err)
	}

	noBucket := open(t, strings.Replace(url, "s3://avatars-", "s3://missing-", 1), srv)
	if err := noBucket.Put(ctx, a); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Errorf("missing bucket: %v", err)
	}
	if err := noBucket.Ping(ctx); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Errorf("Ping of a missing bucket: %v", err)
	}

	// A listener that never answers: the caller's deadline ends the call.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	silent := open(t, "s3://b?endpoint="+ln.Addr().String()+"&tls=false&region=us-east-1", srv)
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	start := time.Now()
	if err := silent.Put(short, a); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Errorf("silent server: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the deadline was not kept: %v", took)
	}
}

func TestOpenRefusesBadURLs(t *testing.T) {
	creds := s3.Credentials{AccessKey: "a", SecretKey: "b"}
	for _, u := range []string{"http://bucket", "s3://", "s3://b/path", "s3://b?tls=maybe", "s3://b?lookup=x", "::"} {
		if _, err := s3.Open(u, creds); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	if _, err := s3.Open("s3://b?endpoint=127.0.0.1:9000", s3.Credentials{}); err == nil {
		t.Error("Open without credentials succeeded")
	}
	if _, err := s3.Open("s3://b?endpoint=cos.ap-shanghai.myqcloud.com&region=ap-shanghai&lookup=dns", creds); err != nil {
		t.Errorf("a COS URL: %v", err)
	}
}
