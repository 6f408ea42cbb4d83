package miniauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSetNickname(t *testing.T) {
	f := newFixture(t)
	res := f.login(t, "openid-1")
	s := f.sessionOf(t, res)
	user, err := f.svc.SetNickname(context.Background(), s, "  小明🐱 ")
	if err != nil || user.Nickname != "小明🐱" {
		t.Fatalf("SetNickname = %+v, %v", user, err)
	}
	if len(f.wx.checked) != 0 {
		t.Fatalf("content check called while off: %q", f.wx.checked)
	}
	if _, err := f.svc.SetNickname(context.Background(), s, "a\u202Eb"); ErrorCode(err) != EInvalidRequest {
		t.Fatalf("bidi override: %v", err)
	}
}

func TestSetNicknameContentCheck(t *testing.T) {
	f := newFixture(t)
	f.svc.opts.ContentCheck = true
	f.wx.risky = "bad"
	s := f.sessionOf(t, f.login(t, "openid-1"))
	if _, err := f.svc.SetNickname(context.Background(), s, "good name"); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.SetNickname(context.Background(), s, " a bad name ")
	if ErrorCode(err) != EInvalidRequest || !strings.Contains(ErrorMessage(err), "content check") {
		t.Fatalf("risky nickname: %v", err)
	}
	if got := f.wx.checked; len(got) != 2 || got[1] != "a bad name" {
		t.Fatalf("checked %q; want the trimmed text", got)
	}
	user, _ := f.svc.Me(context.Background(), s)
	if user.Nickname != "good name" {
		t.Fatalf("a rejected nickname changed the user: %q", user.Nickname)
	}
	f.wx.err = Errorf(EUpstreamUnavailable, "wechat is unavailable")
	if _, err := f.svc.SetNickname(context.Background(), s, "other"); ErrorCode(err) != EUpstreamUnavailable {
		t.Fatalf("check failing: %v", err)
	}
}

type fakeProcessor struct{ err error }

func (p fakeProcessor) Process(_ context.Context, r io.Reader) (*ProcessedImage, error) {
	if p.err != nil {
		return nil, p.err
	}
	b, _ := io.ReadAll(r)
	return &ProcessedImage{Data: append([]byte("processed:"), b...), Ext: "png", ContentType: "image/png"}, nil
}

type fakeAvatarStore struct {
	mu   sync.Mutex
	m    map[string]*Avatar
	wait bool // Put blocks until ctx ends
}

func (s *fakeAvatarStore) Put(ctx context.Context, a *Avatar) error {
	if s.wait {
		<-ctx.Done()
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[a.Name] = a
	return nil
}

func (s *fakeAvatarStore) Get(_ context.Context, name string) (*Avatar, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.m[name]
	if !ok {
		return nil, Errorf(ENotFound, "no such avatar")
	}
	return a, nil
}

func TestSetAvatar(t *testing.T) {
	f := newFixture(t)
	store := &fakeAvatarStore{m: map[string]*Avatar{}}
	f.svc.opts.Avatars = AvatarOptions{Store: store, Processor: fakeProcessor{}, BaseURL: "https://cdn.example.com/", StoreTimeout: DefaultAvatarStoreTimeout}
	s := f.sessionOf(t, f.login(t, "openid-1"))

	user, err := f.svc.SetAvatar(context.Background(), s, strings.NewReader("img"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("processed:img"))
	name := hex.EncodeToString(sum[:]) + ".png"
	if want := "https://cdn.example.com/avatars/" + name; user.AvatarURL != want {
		t.Fatalf("avatar URL %q; want %q", user.AvatarURL, want)
	}
	a, err := f.svc.Avatar(context.Background(), name)
	if err != nil || !bytes.Equal(a.Data, []byte("processed:img")) {
		t.Fatalf("Avatar = %v, %v", a, err)
	}
	for _, bad := range []string{"x.png", strings.ToUpper(name), strings.TrimSuffix(name, ".png") + ".gif", "../" + name} {
		if _, err := f.svc.Avatar(context.Background(), bad); ErrorCode(err) != ENotFound {
			t.Errorf("Avatar(%q): %v; want not_found", bad, err)
		}
	}

	f.svc.opts.Avatars.Processor = fakeProcessor{err: Errorf(EInvalidRequest, "not an image")}
	if _, err := f.svc.SetAvatar(context.Background(), s, strings.NewReader("x")); ErrorCode(err) != EInvalidRequest {
		t.Fatalf("bad image: %v", err)
	}
}

func TestSetAvatarStoreDeadlineIsUpstreamUnavailable(t *testing.T) {
	f := newFixture(t)
	f.svc.opts.Avatars = AvatarOptions{Store: &fakeAvatarStore{wait: true}, Processor: fakeProcessor{}, StoreTimeout: 10 * time.Millisecond}
	s := f.sessionOf(t, f.login(t, "openid-1"))
	_, err := f.svc.SetAvatar(context.Background(), s, strings.NewReader("img"))
	if ErrorCode(err) != EUpstreamUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("store past its deadline: %v", err)
	}
}

func TestValidAvatarName(t *testing.T) {
	good := strings.Repeat("0a", 32)
	for name, want := range map[string]bool{
		good + ".jpg": true, good + ".png": true, good + ".jpeg": false, good: false,
		good[1:] + ".jpg": false, good + "0.jpg": false, "Z" + good[1:] + ".jpg": false,
		good + ".jpg.png": false, "": false,
	} {
		if got := ValidAvatarName(name); got != want {
			t.Errorf("ValidAvatarName(%q) = %v", name, got)
		}
	}
}

func (f *fixture) sessionOf(t *testing.T, res *LoginResult) *Session {
	t.Helper()
	s, err := f.svc.Verify(context.Background(), res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
