package s3store_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"lashview/internal/fixture"
	"lashview/internal/s3test"
	"lashview/store"
	"lashview/store/s3store"
)

// TestClockSkewInWords: requests signed by a computer whose clock is an
// hour off fail with the server's own RequestTimeTooSkewed (a proxy on
// 127.0.0.1 moves each request's X-Amz-Date; versitygw checks the date
// before the signature, as S3 does), and lashview says the clock differs,
// on Open, and on a Scan, Stat and Get of a store opened before the clock
// went off.
//
// A server whose clock is off would be the other side of the same check,
// but libfaketime cannot move versitygw's clock: it is a static Go program
// that reads the time through the vDSO, past any LD_PRELOAD.
func TestClockSkewInWords(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	s3test.Upload(t, srv.Client(t), bucket, "p", fixture.Copy(t, "clean"))
	for _, skew := range []time.Duration{-time.Hour, time.Hour} {
		var on atomic.Bool
		proxy := srv.Proxy(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
			if on.Load() {
				s3test.SkewClock(r, skew)
			}
			return false
		})
		cfg := config(srv)
		cfg.Endpoint = proxy.Endpoint
		s, err := s3store.OpenWith(t.Context(), bucket, "p", cfg, store.Options{})
		if err != nil {
			t.Fatalf("open through the proxy with the clock right: %v", err)
		}
		res, err := s.Scan(t.Context(), store.ScanOptions{})
		must(t, err)
		key := store.BlobKey(res.Attachments[0].ID)
		on.Store(true)
		if _, err := s.Backend().Stat(t.Context(), key); !errors.Is(err, s3store.ErrClockSkew) {
			t.Errorf("clock %v: Stat: %v, want the clock skew", skew, err)
		}
		if _, _, err := s.Get(t.Context(), res.Attachments[0].ID); !errors.Is(err, s3store.ErrClockSkew) {
			t.Errorf("clock %v: Get: %v, want the clock skew", skew, err)
		}
		if _, err := s.Scan(t.Context(), store.ScanOptions{}); !errors.Is(err, s3store.ErrClockSkew) ||
			!strings.Contains(err.Error(), "clock differs") {
			t.Errorf("clock %v: Scan: %v, want the clock skew in words", skew, err)
		}
		if _, err := s3store.OpenWith(t.Context(), bucket, "p", cfg, store.Options{}); !errors.Is(err, s3store.ErrClockSkew) ||
			!strings.Contains(err.Error(), "s3://"+bucket) {
			t.Errorf("clock %v: Open: %v, want the clock skew in words", skew, err)
		}
	}
}

// TestThrottling: a proxy on 127.0.0.1 answers requests with S3's 503
// SlowDown while a count lasts. Fewer than the client's tries are retried
// with backoff and the listing is whole; more fail with ErrThrottled in
// words.
func TestThrottling(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	s3test.Upload(t, srv.Client(t), bucket, "", fixture.Copy(t, "clean"))
	var refuse atomic.Int64 // how many requests to come are throttled
	proxy := srv.Proxy(t, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		if refuse.Add(-1) >= 0 {
			s3test.SlowDown(w, r)
			return true
		}
		refuse.Store(0)
		return false
	})
	const tries = 4
	cfg := config(srv)
	cfg.Endpoint, cfg.MaxRetries = proxy.Endpoint, tries

	// Open throttled on all tries but the last.
	refuse.Store(tries - 1)
	s, err := s3store.OpenWith(t.Context(), bucket, "", cfg, store.Options{})
	if err != nil {
		t.Fatalf("open throttled %d times of %d tries: %v", tries-1, tries, err)
	}
	if n := proxy.Requests(); n != tries {
		t.Errorf("open throttled %d times: the proxy saw %d requests, want %d", tries-1, n, tries)
	}

	// A scan throttled twice lists everything.
	before := proxy.Requests()
	refuse.Store(2)
	res, err := s.Scan(t.Context(), store.ScanOptions{})
	if err != nil || len(res.Attachments) != 17 {
		t.Fatalf("scan throttled twice: %v, %d attachments, want the clean store's 17", err, len(res.Attachments))
	}
	if n := proxy.Requests() - before; n < 3 {
		t.Errorf("scan throttled twice: the proxy saw %d requests, want the two refused and more", n)
	}

	// Throttled on every try.
	before = proxy.Requests()
	refuse.Store(1 << 40)
	_, err = s3store.OpenWith(t.Context(), bucket, "", cfg, store.Options{})
	if !errors.Is(err, s3store.ErrThrottled) || !strings.Contains(err.Error(), "slow down") {
		t.Errorf("open throttled on every try: %v, want throttled in words", err)
	}
	if n := proxy.Requests() - before; n != tries {
		t.Errorf("open throttled on every try: the proxy saw %d requests, want the %d tries", n, tries)
	}
	_, err = s.Scan(t.Context(), store.ScanOptions{})
	if !errors.Is(err, s3store.ErrThrottled) {
		t.Errorf("scan throttled on every try: %v, want throttled in words", err)
	}
}

// TestVanishedBetweenListAndGet: an attachment whose objects are deleted
// after the listing and before they are read (a proxy on 127.0.0.1 deletes
// them on the real server when the first read of the sidecar arrives, then
// passes the read on) drops out of the Scan, which does not fail; the
// backend says the object vanished, in words.
func TestVanishedBetweenListAndGet(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	client := srv.Client(t)
	s3test.Upload(t, client, bucket, "p", fixture.Copy(t, "clean"))
	direct, err := s3store.OpenWith(t.Context(), bucket, "p", config(srv), store.Options{})
	must(t, err)
	res, err := direct.Scan(t.Context(), store.ScanOptions{})
	must(t, err)
	if len(res.Attachments) != 17 {
		t.Fatalf("clean bucket lists %d attachments", len(res.Attachments))
	}
	gone := res.Attachments[3].ID
	blob := "p/" + store.BlobKey(gone)
	var deleted atomic.Bool
	proxy := srv.Proxy(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+blob+".json") && !deleted.Swap(true) {
			for _, key := range []string{blob, blob + ".json"} {
				if err := client.RemoveObject(r.Context(), bucket, key, minio.RemoveObjectOptions{}); err != nil {
					t.Errorf("remove %s: %v", key, err)
				}
			}
		}
		return false
	})
	cfg := config(srv)
	cfg.Endpoint = proxy.Endpoint
	s, err := s3store.OpenWith(t.Context(), bucket, "p", cfg, store.Options{})
	must(t, err)
	res, err = s.Scan(t.Context(), store.ScanOptions{})
	if err != nil {
		t.Fatalf("scan with an attachment deleted between list and get: %v", err)
	}
	if !deleted.Load() {
		t.Fatal("the scan never read the sidecar of " + string(gone))
	}
	if len(res.Attachments) != 16 {
		t.Errorf("scan lists %d attachments, want 16 (the vanished one dropped)", len(res.Attachments))
	}
	for _, a := range res.Attachments {
		if a.ID == gone {
			t.Errorf("the vanished attachment is listed: %+v", a)
		}
	}

	// The backend's reads of the vanished objects, and the store's Open.
	key := store.BlobKey(gone)
	if _, _, err := s.Backend().Open(t.Context(), key, 0, -1); !errors.Is(err, s3store.ErrVanished) ||
		!strings.Contains(err.Error(), "gone when read") || !strings.Contains(err.Error(), "s3://"+bucket+"/"+blob) {
		t.Errorf("backend Open of a vanished object: %v, want vanished in words, naming it", err)
	}
	if _, err := s.Backend().Stat(t.Context(), key); !errors.Is(err, s3store.ErrVanished) {
		t.Errorf("backend Stat of a vanished object: %v, want vanished", err)
	}
	if _, _, err := s.Open(t.Context(), gone); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "s3://"+bucket+"/"+blob) {
		t.Errorf("Open of a vanished attachment: %v, want NotFound naming the object", err)
	}
}
