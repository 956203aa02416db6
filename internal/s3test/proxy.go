package s3test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy is an HTTP proxy on 127.0.0.1 in front of a Server, for the
// faults a real S3 service gives and a loopback server cannot be made to:
// a test's Fault sees every request first and may answer it itself (a
// throttling 503, say) or change it before it goes on to the server (the
// date of a client whose clock is off). Everything else passes unchanged,
// the Host header included, so the requests' signatures still hold.
type Proxy struct {
	// Endpoint is "http://127.0.0.1:<port>", for a client to use in place
	// of the server's.
	Endpoint string

	mu sync.Mutex
	n  int
}

// Fault is asked of the n-th request the proxy receives (from 1); it
// returns true when it answered the request itself.
type Fault func(n int, w http.ResponseWriter, r *http.Request) bool

// Proxy starts a proxy in front of the server, stopped when the test ends.
func (s *Server) Proxy(t testing.TB, fault Fault) *Proxy {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Endpoint: "http://" + ln.Addr().String()}
	// NewSingleHostReverseProxy keeps the request's Host: the client signed
	// the proxy's address.
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		if fault != nil && fault(n, w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

// Requests is how many requests the proxy has received.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// SlowDown answers a request as S3 does when it throttles a client: 503
// with the SlowDown error document.
func SlowDown(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "LASHVIEWTEST")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><Resource>%s</Resource><RequestId>LASHVIEWTEST</RequestId></Error>`, r.URL.Path)
}

// SkewClock moves the request's X-Amz-Date by d, as a client whose clock
// is off by d would sign it. The signature no longer matches, but the
// server checks the date first (as S3 does) and answers
// RequestTimeTooSkewed for more than 15 minutes.
func SkewClock(r *http.Request, d time.Duration) {
	const iso8601 = "20060102T150405Z"
	if t, err := time.Parse(iso8601, r.Header.Get("X-Amz-Date")); err == nil {
		r.Header.Set("X-Amz-Date", t.Add(d).Format(iso8601))
	}
}
