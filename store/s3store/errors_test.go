package s3store_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"lashview/internal/fixture"
	"lashview/internal/s3test"
	"lashview/store"
	"lashview/store/s3store"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct{ in, bucket, prefix string }{
		{"s3://b", "b", ""},
		{"s3://b/", "b", ""},
		{"s3://b/p", "b", "p"},
		{"s3://b/a/b/", "b", "a/b"},
	} {
		b, p, err := s3store.ParseURL(c.in)
		if err != nil || b != c.bucket || p != c.prefix {
			t.Errorf("ParseURL(%q) = %q %q %v, want %q %q", c.in, b, p, err, c.bucket, c.prefix)
		}
	}
	for _, bad := range []string{"b/p", "s3://", "s3:///p", "s3://b/a//c", "s3://b/../x", "/tmp/store"} {
		if _, _, err := s3store.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
}

// TestOpenFromEnvironment opens a bucket with what the standard AWS
// variables say, then with a profile of a credentials file.
func TestOpenFromEnvironment(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	bucket := srv.Bucket(t)
	s3test.Upload(t, srv.Client(t), bucket, "p", fixture.Copy(t, "clean"))
	scan := func() int {
		t.Helper()
		s, err := s3store.Open(t.Context(), "s3://"+bucket+"/p", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Scan(t.Context(), store.ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Attachments)
	}
	if n := scan(); n != 17 {
		t.Errorf("the environment's store lists %d attachments, want the clean store's 17", n)
	}

	// A profile of ~/.aws/credentials instead of the key variables.
	creds := filepath.Join(t.TempDir(), "credentials")
	must(t, os.WriteFile(creds, []byte("[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[lashtest]\naws_access_key_id = "+
		s3test.AccessKey+"\naws_secret_access_key = "+s3test.SecretKey+"\n"), 0o600))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_PROFILE", "lashtest")
	if n := scan(); n != 17 {
		t.Errorf("the profile's store lists %d attachments, want 17", n)
	}

	// Plain HTTP only when the endpoint says http://.
	t.Setenv("AWS_ENDPOINT_URL", strings.Replace(srv.Endpoint, "http://", "", 1))
	if _, err := s3store.Open(t.Context(), "s3://"+bucket, store.Options{}); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("an endpoint without a scheme: %v, want the scheme asked for", err)
	}
}

// TestErrorsInWords opens buckets that cannot be read and reads objects
// that went away: each failure says which, in words.
func TestErrorsInWords(t *testing.T) {
	srv := s3test.Start(t)
	ctx := t.Context()
	cfg := config(srv)

	_, err := s3store.OpenWith(ctx, "no-such-bucket", "", cfg, store.Options{})
	if !errors.Is(err, s3store.ErrNoSuchBucket) || !strings.Contains(err.Error(), "s3://no-such-bucket") {
		t.Errorf("missing bucket: %v", err)
	}

	bucket := srv.Bucket(t)
	bad := cfg
	bad.Creds = credentials.NewStaticV4(s3test.AccessKey, "not-the-secret", "")
	if _, err := s3store.OpenWith(ctx, bucket, "", bad, store.Options{}); !errors.Is(err, s3store.ErrAccessDenied) {
		t.Errorf("wrong secret: %v, want access denied", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closed := "http://" + l.Addr().String()
	l.Close()
	down := cfg
	down.Endpoint, down.MaxRetries = closed, 1
	start := time.Now()
	if _, err := s3store.OpenWith(ctx, bucket, "", down, store.Options{}); !errors.Is(err, s3store.ErrUnreachable) {
		t.Errorf("closed port: %v, want unreachable", err)
	} else if d := time.Since(start); d > 10*time.Second {
		t.Errorf("an unreachable endpoint took %v to tell", d)
	}

	// Objects that vanish between the listing and the read.
	client := srv.Client(t)
	s3test.Upload(t, client, bucket, "", fixture.Copy(t, "clean"))
	s, err := s3store.OpenWith(ctx, bucket, "", cfg, store.Options{})
	must(t, err)
	res, err := s.Scan(ctx, store.ScanOptions{})
	must(t, err)
	if len(res.Attachments) != 17 {
		t.Fatalf("clean bucket lists %d attachments", len(res.Attachments))
	}
	gone, noMeta := res.Attachments[0].ID, res.Attachments[1].ID
	remove := func(key string) {
		t.Helper()
		must(t, client.RemoveObject(context.Background(), bucket, key, minio.RemoveObjectOptions{}))
	}
	remove("sha256/" + gone.Prefix() + "/" + string(gone))
	remove("sha256/" + noMeta.Prefix() + "/" + string(noMeta) + ".json")
	if _, _, err := s.Get(ctx, gone); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "s3://"+bucket+"/sha256/") {
		t.Errorf("Get of a deleted blob: %v, want NotFound naming the object", err)
	}
	if _, _, err := s.Get(ctx, noMeta); !errors.Is(err, store.ErrMissingMeta) {
		t.Errorf("Get of a blob whose sidecar was deleted: %v, want MissingMeta (the store keeps sidecars)", err)
	}
	if a, ok, err := s.Examine(ctx, gone); err != nil || !ok || a.Status != store.StatusOrphanMeta {
		t.Errorf("Examine of a deleted blob: %+v %v %v, want orphan_meta", a.Status, ok, err)
	}
	if a, ok, err := s.Examine(ctx, noMeta); err != nil || !ok || a.Status != store.StatusMissingMeta {
		t.Errorf("Examine of a deleted sidecar: %+v %v %v, want missing_meta", a.Status, ok, err)
	}

	// The bucket deleted under an open store.
	for o := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		remove(o.Key)
	}
	must(t, client.RemoveBucket(ctx, bucket))
	if _, err := s.Scan(ctx, store.ScanOptions{}); !errors.Is(err, s3store.ErrNoSuchBucket) {
		t.Errorf("Scan of a deleted bucket: %v, want no such bucket", err)
	}
}
