package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawGetter sends GET requests over one kept-alive HTTP/1.1 connection with
// prebuilt request bytes and a minimal response parser. The load generator
// shares the machine with the server: net/http's client spends more CPU on
// a response with more headers than the server spends writing them, which
// would make verify (three identity headers) look slower than it is. wrk
// and this client agree.
type rawGetter struct {
	addr string
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
}

func newRawGetter(base string) (*rawGetter, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("raw GET needs an http:// URL, not %q", base)
	}
	return &rawGetter{addr: u.Host}, nil
}

// request builds the bytes of a GET with an optional bearer token.
func (g *rawGetter) request(path, token string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: miniauth-bench\r\n", path, g.addr)
	if token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// get sends req and reads the answer; it fails unless the status is 200.
func (g *rawGetter) get(ctx context.Context, req []byte) error {
	if g.conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", g.addr)
		if err != nil {
			return err
		}
		g.conn, g.r = c, bufio.NewReaderSize(c, 8<<10)
	}
	if deadline, ok := ctx.Deadline(); ok {
		g.conn.SetDeadline(deadline)
	} else {
		g.conn.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if _, err := g.conn.Write(req); err != nil {
		g.close()
		return err
	}
	status, err := g.readResponse()
	if err != nil {
		g.close()
		return err
	}
	if status != 200 {
		return fmt.Errorf("status %d", status)
	}
	return nil
}

func (g *rawGetter) readResponse() (int, error) {
	line, err := g.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, errors.New("malformed status line")
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errors.New("malformed status line")
	}
	length := -1
	for {
		line, err = g.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return 0, errors.New("malformed Content-Length")
			}
		}
	}
	if length < 0 {
		return 0, errors.New("response without Content-Length")
	}
	if cap(g.buf) < length {
		g.buf = make([]byte, length)
	}
	if _, err := io.ReadFull(g.r, g.buf[:length]); err != nil {
		return 0, err
	}
	return status, nil
}

func (g *rawGetter) close() {
	if g.conn != nil {
		g.conn.Close()
		g.conn, g.r = nil, nil
	}
}
