package s3store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"lashview/internal/s3test"
	"lashview/internal/storecases"
	"lashview/store"
	"lashview/store/s3store"
)

// config points a store at the test server.
func config(srv *s3test.Server) s3store.Config {
	return s3store.Config{Endpoint: srv.Endpoint, Region: s3test.Region,
		Creds: credentials.NewStaticV4(s3test.AccessKey, s3test.SecretKey, "")}
}

// TestConformance uploads every case of the conformance table into a
// bucket of a real S3 server, at the bucket's top and under a prefix, and
// checks that the bucket's Scan and Examine say of every attachment and
// every stray key what the folder readers say, and that Open serves what
// the folder's Open serves.
func TestConformance(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	for _, c := range storecases.Cases(t) {
		for _, prefix := range []string{"", "team/lash-attachments"} {
			t.Run(c.Name+"/prefix="+prefix, func(t *testing.T) {
				bucket := srv.Bucket(t)
				links := s3test.Upload(t, client, bucket, prefix, c.Root)
				if prefix != "" {
					// Beside the store, not in it: a store under a prefix
					// that starts the same, and keys at the bucket's top.
					decoy := t.TempDir()
					must(t, os.MkdirAll(filepath.Join(decoy, "sha256", "ab"), 0o755))
					must(t, os.WriteFile(filepath.Join(decoy, "sha256", "ab", "not-in-this-store"), []byte("x"), 0o644))
					s3test.Upload(t, client, bucket, prefix+"-old", decoy)
					s3test.Upload(t, client, bucket, "", decoy)
				}
				c := storecases.WithoutLinks(t, c, links)
				s, err := s3store.OpenWith(t.Context(), bucket, prefix, config(srv), c.Options)
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Scan(t.Context(), store.ScanOptions{Workers: 4})
				if err != nil {
					t.Fatal(err)
				}
				storecases.CheckScan(t, "Scan", res, c)

				// One id at a time, on a store that has not listed yet.
				fresh, err := s3store.OpenWith(t.Context(), bucket, prefix, config(srv), c.Options)
				if err != nil {
					t.Fatal(err)
				}
				for id, w := range c.Attachments {
					a, ok, err := fresh.Examine(t.Context(), id)
					if err != nil || !ok {
						t.Errorf("Examine %s: %v %v", id.Short(), ok, err)
						continue
					}
					storecases.Check(t, "Examine", a, w)
				}

				// Open serves the bytes and metadata the folder's Open does,
				// and fails with the same kind of error.
				folder, err := store.Open(c.Root, c.Options)
				if err != nil {
					t.Fatal(err)
				}
				for id := range c.Attachments {
					wantData, wantMeta, wantErr := folder.Get(id)
					if !hasBlobFile(c.Root, id) {
						wantData, wantMeta, wantErr = nil, store.Sidecar{}, &store.Error{Kind: store.ErrNotFound}
					}
					data, meta, err := s.Get(t.Context(), id)
					if kindOf(err) != kindOf(wantErr) {
						t.Errorf("Get %s: error %v, the folder's %v", id.Short(), err, wantErr)
						continue
					}
					if err != nil {
						continue
					}
					if !bytes.Equal(data, wantData) {
						t.Errorf("Get %s: %d bytes differ from the folder's %d", id.Short(), len(data), len(wantData))
					}
					if !bytes.Equal(meta.Encode(), wantMeta.Encode()) {
						t.Errorf("Get %s: metadata\n%s\nthe folder's\n%s", id.Short(), meta.Encode(), wantMeta.Encode())
					}
				}
			})
		}
	}
}

// hasBlobFile says the folder holds the id's blob as a regular file (what
// Upload puts in the bucket).
func hasBlobFile(root string, id store.ID) bool {
	fi, err := os.Lstat(filepath.Join(root, "sha256", id.Prefix(), string(id)))
	return err == nil && fi.Mode().IsRegular()
}

func kindOf(err error) error {
	for _, k := range []error{store.ErrNotFound, store.ErrMissingMeta, store.ErrMetadataDecode, store.ErrIo} {
		if errors.Is(err, k) {
			return k
		}
	}
	return err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
