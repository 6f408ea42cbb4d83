// Package s3 keeps avatars in an S3-compatible object store (AWS S3, Tencent
// COS, Aliyun OSS, MinIO, ...) through minio-go. Objects are written under
// "avatars/<name>" with their Content-Type and an immutable Cache-Control,
// so that a public bucket or a CDN in front of it serves them as miniauth
// would.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/miniauth/miniauth"
)

// Prefix is where avatars go in the bucket: a public URL base pointing at the
// bucket's root then gives URLs ending in /avatars/<name>, as the contract
// wants.
const Prefix = "avatars/"

// CacheControl is stored with every object: a name stands for its bytes
// forever.
const CacheControl = "public, max-age=31536000, immutable"

// DefaultEndpoint is used when the URL names none.
const DefaultEndpoint = "s3.amazonaws.com"

// Credentials are the keys of the store's user, usually from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
type Credentials struct {
	AccessKey, SecretKey, SessionToken string
}

// Store is a miniauth.AvatarStore in one bucket.
type Store struct {
	client *minio.Client
	bucket string
}

var _ miniauth.AvatarStore = (*Store)(nil)

// Open parses s3://BUCKET?endpoint=HOST:PORT&region=R and returns a Store.
// Optional query keys: tls=false (plain HTTP, for a store on a private
// network), lookup=path|dns (how the bucket is addressed; default: what
// minio-go picks for the endpoint). Nothing is sent until the first call.
func Open(rawURL string, creds Credentials) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("s3: %q must look like s3://bucket?endpoint=host:port&region=r", rawURL)
	}
	q := u.Query()
	endpoint := q.Get("endpoint")
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	secure := true
	switch q.Get("tls") {
	case "", "true":
	case "false":
		secure = false
	default:
		return nil, errors.New("s3: tls must be true or false")
	}
	lookup := minio.BucketLookupAuto
	switch q.Get("lookup") {
	case "":
	case "path":
		lookup = minio.BucketLookupPath
	case "dns":
		lookup = minio.BucketLookupDNS
	default:
		return nil, errors.New("s3: lookup must be path or dns")
	}
	if creds.AccessKey == "" || creds.SecretKey == "" {
		return nil, errors.New("s3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required")
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, creds.SessionToken),
		Secure:       secure,
		Region:       q.Get("region"),
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return &Store{client: client, bucket: u.Host}, nil
}

// Put uploads a as avatars/<name>.
func (s *Store) Put(ctx context.Context, a *miniauth.Avatar) error {
	if !miniauth.ValidAvatarName(a.Name) {
		return miniauth.Errorf(miniauth.EInvalidRequest, "bad avatar name")
	}
	_, err := s.client.PutObject(ctx, s.bucket, Prefix+a.Name, bytes.NewReader(a.Data), int64(len(a.Data)),
		minio.PutObjectOptions{ContentType: a.ContentType, CacheControl: CacheControl})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Get downloads avatars/<name>.
func (s *Store) Get(ctx context.Context, name string) (*miniauth.Avatar, error) {
	if !miniauth.ValidAvatarName(name) {
		return nil, errNotFound
	}
	obj, err := s.client.GetObject(ctx, s.bucket, Prefix+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, classify(err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, classify(err)
	}
	ctype := miniauth.AvatarContentType(name)
	if info, err := obj.Stat(); err == nil && strings.HasPrefix(info.ContentType, "image/") {
		ctype = info.ContentType
	}
	return &miniauth.Avatar{Name: name, ContentType: ctype, Data: data}, nil
}

// Ping checks that the bucket exists and answers, for readiness.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return miniauth.Errorf(miniauth.EUpstreamUnavailable, "bucket %s does not exist", s.bucket)
	}
	return nil
}

var errNotFound = miniauth.Errorf(miniauth.ENotFound, "no such avatar")

func classify(err error) error {
	if code := minio.ToErrorResponse(err).Code; code == minio.NoSuchKey || code == "NotFound" {
		return errNotFound
	}
	return unavailable(err)
}

func unavailable(err error) error {
	return miniauth.WrapError(miniauth.EUpstreamUnavailable, "the avatar store is unavailable", err)
}
