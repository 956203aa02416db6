package cli

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lashview/internal/fixture"
	"lashview/internal/s3test"
)

// TestBucketClockSkewAndThrottling: the lashview binary says in words that
// the computer's clock differs from the server's, and that the server
// throttles; throttling that stops within the retries does not show. A
// proxy on 127.0.0.1 in front of the real server moves each request's
// X-Amz-Date by an hour (the server answers RequestTimeTooSkewed), or
// answers requests with S3's 503 SlowDown while a count lasts.
func TestBucketClockSkewAndThrottling(t *testing.T) {
	srv, client := bucketEnv(t)
	bucket := newBucket(t, client)
	s3test.Upload(t, client, bucket, "", fixture.Copy(t, "clean"))
	url := storeURL(bucket, "")

	skewed := srv.Proxy(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		s3test.SkewClock(r, -time.Hour)
		return false
	})
	t.Setenv("AWS_ENDPOINT_URL", skewed.Endpoint)
	code, _, errOut := cli(t, "ls", "--store", url)
	if code != exitProblems || !strings.Contains(errOut, "clock differs too much from the server's") {
		t.Errorf("ls with the clock an hour off: exit %d, %q", code, errOut)
	}

	var refuse atomic.Int64
	throttled := srv.Proxy(t, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		if refuse.Add(-1) >= 0 {
			s3test.SlowDown(w, r)
			return true
		}
		refuse.Store(0)
		return false
	})
	t.Setenv("AWS_ENDPOINT_URL", throttled.Endpoint)
	refuse.Store(2)
	code, out, errOut := cli(t, "ls", "--store", url)
	if code != exitOK || !strings.Contains(out, "17 attachments in "+url+"\n") {
		t.Errorf("ls throttled twice: exit %d, %q %q", code, out, errOut)
	}
	if n := throttled.Requests(); n < 3 {
		t.Errorf("ls throttled twice: the proxy saw %d requests, want the two refused and more", n)
	}
	refuse.Store(1 << 40)
	code, _, errOut = cli(t, "ls", "--store", url)
	if code != exitProblems || !strings.Contains(errOut, "slow down (throttled), still after retries") {
		t.Errorf("ls throttled on every try: exit %d, %q", code, errOut)
	}
}
