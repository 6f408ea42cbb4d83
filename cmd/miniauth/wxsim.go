package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/miniauth/miniauth/internal/alipaysign"
	"github.com/miniauth/miniauth/wxsim"
)

// appFlags collects repeated --app PLATFORM:APPID:SECRET (or WeChat's
// APPID:SECRET). For Alipay the third part names the app's public key file.
type appFlags []wxsim.App

func (a *appFlags) String() string { return fmt.Sprint(len(*a), " apps") }

func (a *appFlags) Set(v string) error {
	platform, id, secret, err := wxsim.ParsePlatformApp(v)
	if err != nil {
		return errors.New("want PLATFORM:APPID:SECRET or APPID:SECRET")
	}
	app := wxsim.App{Platform: platform, AppID: id, Secret: secret}
	if platform == "alipay" {
		pem, err := os.ReadFile(secret)
		if err != nil {
			return fmt.Errorf("alipay app %s: %w", id, err)
		}
		if _, err := alipaysign.ParsePublicKey(pem); err != nil {
			return fmt.Errorf("alipay app %s: %s: %w", id, secret, err)
		}
		app.Secret, app.AlipayAppPublicKey = "", pem
	}
	*a = append(*a, app)
	return nil
}

// wordFlags collects repeated --risky-word values; nil when none is given.
type wordFlags []string

func (w *wordFlags) String() string { return strings.Join(*w, ",") }

func (w *wordFlags) Set(v string) error {
	*w = append(*w, v)
	return nil
}

func wxsimCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wxsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	var apps appFlags
	fs.Var(&apps, "app", "an app the simulator knows, PLATFORM:APPID:SECRET or APPID:SECRET for WeChat; "+
		"alipay:APPID:PUBLIC_KEY_FILE for Alipay (repeatable; default the dev apps but Alipay's)")
	gatewayKey := fs.String("alipay-gateway-key", "", "PEM file of the key that signs Alipay's answers (default: one made at start, served at _sim/alipay-gateway-key)")
	var risky wordFlags
	fs.Var(&risky, "risky-word", "a word wxa/msg_sec_check finds risky (repeatable; default "+wxsim.DefaultRiskyWord+")")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	opts := wxsim.Options{PlatformApps: apps}
	if len(apps) == 0 {
		for _, a := range wxsim.DevApps(nil) {
			if a.Platform != "alipay" { // its public key is not known here
				opts.PlatformApps = append(opts.PlatformApps, a)
			}
		}
	}
	if *gatewayKey != "" {
		pem, err := os.ReadFile(*gatewayKey)
		if err != nil {
			return err
		}
		if opts.AlipayGatewayKey, err = alipaysign.ParsePrivateKey(pem); err != nil {
			return fmt.Errorf("--alipay-gateway-key %s: %w", *gatewayKey, err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	opts.RiskyWords = risky
	sim := wxsim.New(opts)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	url := baseURL(ln.Addr())
	fmt.Fprintf(stdout, "wxsim listening on %s\n", url)
	fmt.Fprintf(stdout, "wxsim: WeChat at the root; QQ, Douyin, Alipay, Baidu and Kuaishou under /qq, /douyin, /alipay, /baidu, /kuaishou\n")
	if pem := sim.AlipayGatewayPublicKey(); pem != nil && *gatewayKey == "" {
		fmt.Fprintf(stdout, "wxsim: Alipay answers are signed by a key made now; its public key (alipay_public_key_file) is at %s/_sim/alipay-gateway-key\n", url)
	}
	return serveUntilDone(ctx, srv, ln, 5*time.Second)
}

// serveUntilDone serves until ctx ends, then lets in-flight requests finish
// (up to grace).
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseURL is how a client on this machine reaches a listener.
func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}
