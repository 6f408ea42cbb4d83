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

// rawClient sends requests over one kept-alive HTTP/1.1 connection with
// prebuilt request bytes and a minimal response parser. The load generator
// shares the machine with the server: net/http's client spends more CPU on
// a response with more headers than the server spends writing them, which
// would make verify (three identity headers) look slower than it is. wrk
// and this client agree.
type rawClient struct {
	addr string
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
}

func newRawClient(base string) (*rawClient, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("the load client needs an http:// URL, not %q", base)
	}
	return &rawClient{addr: u.Host}, nil
}

// request builds the bytes of a request with an optional bearer token and
// an optional JSON body.
func (c *rawClient) request(method, path, token string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: miniauth-bench\r\n", method, path, c.addr)
	if token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	if body != nil {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// do sends req and reads the answer; it fails unless the status is want.
// The body it returns is valid until the next call.
func (c *rawClient) do(ctx context.Context, req []byte, want int) ([]byte, error) {
	if c.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return nil, err
		}
		c.conn, c.r = conn, bufio.NewReaderSize(conn, 8<<10)
	}
	if deadline, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(deadline)
	} else {
		c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if _, err := c.conn.Write(req); err != nil {
		c.close()
		return nil, err
	}
	status, body, err := c.readResponse()
	if err != nil {
		c.close()
		return nil, err
	}
	if status != want {
		return nil, fmt.Errorf("status %d: %s", status, bytes.TrimSpace(body))
	}
	return body, nil
}

func (c *rawClient) readResponse() (int, []byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, errors.New("malformed status line")
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, errors.New("malformed status line")
	}
	length := -1
	for {
		line, err = c.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(line) <= 2 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return 0, nil, errors.New("malformed Content-Length")
			}
		}
	}
	if length < 0 {
		if status == 204 {
			return status, nil, nil
		}
		return 0, nil, errors.New("response without Content-Length")
	}
	if cap(c.buf) < length {
		c.buf = make([]byte, length)
	}
	if _, err := io.ReadFull(c.r, c.buf[:length]); err != nil {
		return 0, nil, err
	}
	return status, c.buf[:length], nil
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.r = nil, nil
	}
}
