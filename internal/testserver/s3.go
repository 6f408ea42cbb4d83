package testserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// VersityGWVersion is the S3 server the tests use: the Versity S3 Gateway
// (Apache-2.0), a real S3 server in one Go binary, serving a directory.
// scripts/test.sh installs it with go install.
const VersityGWVersion = "v1.8.0"

const s3Missing = "the S3 server is not installed (versitygw not found on PATH or in $(go env GOPATH)/bin): the S3 avatar store suite did not run; scripts/test.sh installs it"

// S3Server is a running S3-compatible server with one root user.
type S3Server struct {
	*Server
	Endpoint  string // "127.0.0.1:PORT", plain HTTP
	AccessKey string
	SecretKey string
	Region    string
}

var sharedS3 struct {
	shared
	s3 *S3Server
}

// S3 returns the S3 server shared by this test binary, starting it at the
// first call. Tests make buckets of their own. It skips the test when
// versitygw is not installed.
func S3(t testing.TB) *S3Server {
	t.Helper()
	sharedS3.get(t, func() (*Server, error) {
		s, err := startS3()
		sharedS3.s3 = s
		if err != nil {
			return nil, err
		}
		return s.Server, nil
	})
	return sharedS3.s3
}

func startS3() (*S3Server, error) {
	dirs := []string{"/usr/local/bin", "/usr/bin"}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		dirs = append(dirs, filepath.Join(gopath, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	bin, ok := findBinary([]string{"versitygw"}, dirs...)
	if !ok {
		return nil, errNotInstalled(s3Missing)
	}
	s, err := newServer("S3", nil)
	if err != nil {
		return nil, err
	}
	s.stopSig = syscall.SIGTERM
	s3 := &S3Server{Server: s, AccessKey: "miniauthtestaccess", SecretKey: "miniauth-test-secret-key-0123456789", Region: "us-east-1"}
	data, meta := filepath.Join(s.dir, "data"), filepath.Join(s.dir, "meta")
	for _, d := range []string{data, meta} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			s.close()
			return nil, fmt.Errorf("testserver: S3 dir: %w", err)
		}
	}
	err = startOnFreePort(s, func(port int) {
		s3.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.URL = "http://" + s3.Endpoint
		s.argv = []string{bin, "--port", s3.Endpoint, "--access", s3.AccessKey, "--secret", s3.SecretKey,
			"--region", s3.Region, "--quiet",
			// Metadata (the Content-Type) in a directory of its own, not
			// in extended attributes, which a temp file system may lack.
			"posix", "--sidecar", meta, data}
		s.ready = func(ctx context.Context) error { return httpAnswers(ctx, s.URL) }
	})
	if err != nil {
		s.close()
		return nil, err
	}
	return s3, nil
}

// httpAnswers succeeds once url answers HTTP at all (an S3 server answers
// an anonymous GET / with 403).
func httpAnswers(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
