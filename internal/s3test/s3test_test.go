package s3test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/minio/minio-go/v7"
)

// TestUpload starts the server, uploads a small folder with and without a
// prefix and lists it back over S3.
func TestUpload(t *testing.T) {
	srv := Start(t)
	c := srv.Client(t)
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sha256", "ab"), 0o755))
	must(os.WriteFile(filepath.Join(root, "sha256", "ab", "blob"), []byte("bytes"), 0o644))
	must(os.Symlink("blob", filepath.Join(root, "sha256", "ab", "link")))
	for _, prefix := range []string{"", "deep/er"} {
		bucket := srv.Bucket(t)
		links := Upload(t, c, bucket, prefix, root)
		if !slices.Equal(links, []string{"sha256/ab/link"}) {
			t.Errorf("skipped links %v", links)
		}
		want := "sha256/ab/blob"
		if prefix != "" {
			want = prefix + "/" + want
		}
		var keys []string
		for o := range c.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
			must(o.Err)
			keys = append(keys, o.Key)
		}
		if !slices.Equal(keys, []string{want}) {
			t.Fatalf("bucket %s holds %v, want [%s]", bucket, keys, want)
		}
		obj, err := c.GetObject(context.Background(), bucket, want, minio.GetObjectOptions{})
		must(err)
		data, err := io.ReadAll(obj)
		must(err)
		if string(data) != "bytes" {
			t.Errorf("read back %q", data)
		}
	}
}
