package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"lashview/store"
)

// Backend is a bucket's objects under a key prefix, as a store.Backend:
// lash's rules sit above it in store.Objects.
type Backend struct {
	client *minio.Client
	bucket string
	prefix string // "" or "a/b", no slashes at either end
	// partSize is the size of one part of a multipart upload (0: the
	// client's choice); a put streams with about this much memory.
	partSize uint64
}

// Open returns the store at url (s3://BUCKET/PREFIX) on the server the
// standard AWS environment names (EnvConfig), with the user's head cache
// (HeadCacheDir). It checks that the bucket exists and may be read.
func Open(ctx context.Context, url string, opt store.Options) (*store.Objects, error) {
	bucket, prefix, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	cfg := EnvConfig()
	cfg.HeadCache, _ = HeadCacheDir() // none when there is no cache folder
	return OpenWith(ctx, bucket, prefix, cfg, opt)
}

// OpenWith is Open with an explicit configuration.
func OpenWith(ctx context.Context, bucket, prefix string, cfg Config, opt store.Options) (*store.Objects, error) {
	b, err := NewBackend(ctx, bucket, prefix, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.HeadCache != "" {
		return store.NewObjects(NewCached(b, cfg.HeadCache), opt), nil
	}
	return store.NewObjects(b, opt), nil
}

// NewBackend connects to the bucket and checks that it exists and may be
// read.
func NewBackend(ctx context.Context, bucket, prefix string, cfg Config) (*Backend, error) {
	cl, err := cfg.client()
	if err != nil {
		return nil, err
	}
	b := &Backend{client: cl, bucket: bucket, prefix: strings.Trim(prefix, "/"), partSize: cfg.PartSize}
	ok, err := cl.BucketExists(ctx, bucket)
	if err != nil {
		return nil, b.explain(b.whyForbidden(ctx, err), "")
	}
	if !ok {
		return nil, fmt.Errorf("s3://%s: %w", bucket, ErrNoSuchBucket)
	}
	return b, nil
}

// URL is s3://BUCKET[/PREFIX].
func (b *Backend) URL() string {
	if b.prefix == "" {
		return "s3://" + b.bucket
	}
	return "s3://" + b.bucket + "/" + b.prefix
}

// Bucket is the bucket's name.
func (b *Backend) Bucket() string { return b.bucket }

// Prefix is the key prefix the store lies under, without slashes at its
// ends; "" for the bucket's top.
func (b *Backend) Prefix() string { return b.prefix }

// Client is the S3 client the backend asks.
func (b *Backend) Client() *minio.Client { return b.client }

// FullKey is the bucket key of a store-relative key.
func (b *Backend) FullKey(rel string) string {
	if b.prefix == "" {
		return rel
	}
	return b.prefix + "/" + rel
}

// rel is the store-relative key of a bucket key.
func (b *Backend) rel(key string) string {
	if b.prefix == "" {
		return key
	}
	return strings.TrimPrefix(key, b.prefix+"/")
}

// Where names an object for a person: s3://bucket/key; "" names the store.
func (b *Backend) Where(rel string) string {
	if rel == "" {
		return b.URL()
	}
	return "s3://" + b.bucket + "/" + b.FullKey(rel)
}

// explain turns a client error into one that says what went wrong in
// words and wraps the matching Err*; rel is the object's key ("" for the
// bucket).
func (b *Backend) explain(err error, rel string) error {
	if err == nil {
		return nil
	}
	what := "s3://" + b.bucket
	if rel != "" {
		what = b.Where(rel)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	resp := minio.ToErrorResponse(err)
	var kind error
	switch resp.Code {
	case "NoSuchBucket":
		kind = ErrNoSuchBucket
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%s: %w", what, store.ErrVanished)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AllAccessDisabled":
		kind = ErrAccessDenied
	case "RequestTimeTooSkewed":
		kind = ErrClockSkew
	case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests":
		kind = ErrThrottled
	}
	if kind == nil && resp.StatusCode == 403 {
		kind = ErrAccessDenied
	}
	if kind == nil && resp.StatusCode == 503 {
		kind = ErrThrottled
	}
	if kind != nil {
		msg := resp.Message
		if msg == "" {
			msg = resp.Code
		}
		return fmt.Errorf("%s: %w (the server says %s)", what, kind, msg)
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return fmt.Errorf("%s: %w: %v", what, ErrUnreachable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// whyForbidden asks the server again why it refused a HEAD request: the
// answer to a HEAD has no body, so the client takes every 403 for access
// denied, a clock too far off (RequestTimeTooSkewed) and a wrong secret
// key alike. A listing of one key is a GET, whose refusal names its
// reason; that reason replaces err when it is another 403. Any other err
// is returned as it is.
func (b *Backend) whyForbidden(ctx context.Context, err error) error {
	if minio.ToErrorResponse(err).StatusCode != http.StatusForbidden {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prefix := ""
	if b.prefix != "" {
		prefix = b.prefix + "/"
	}
	o := <-b.client.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, MaxKeys: 1})
	if r := minio.ToErrorResponse(o.Err); o.Err != nil && r.StatusCode == http.StatusForbidden && r.Code != "" {
		return o.Err
	}
	return err
}

func isNoSuchKey(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound"
}

// List lists every object under the store-relative dir, recursively.
func (b *Backend) List(ctx context.Context, dir string, each func(store.Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // an early stop ends the listing's goroutine
	for o := range b.client.ListObjectsIter(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.FullKey(dir), Recursive: true}) {
		if o.Err != nil {
			return b.explain(o.Err, "")
		}
		if err := each(store.Object{Key: b.rel(o.Key), Size: o.Size, ModTime: o.LastModified, ETag: o.ETag}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Stat asks for one object.
func (b *Backend) Stat(ctx context.Context, rel string) (store.Object, error) {
	info, err := b.client.StatObject(ctx, b.bucket, b.FullKey(rel), minio.StatObjectOptions{})
	if err != nil {
		return store.Object{}, b.explain(b.whyForbidden(ctx, err), rel)
	}
	return store.Object{Key: rel, Size: info.Size, ModTime: info.LastModified, ETag: info.ETag}, nil
}

// Open streams n bytes of the object from off (n < 0: to its end). The
// object's absence is found at once, not at the first read.
func (b *Backend) Open(ctx context.Context, rel string, off, n int64) (io.ReadCloser, store.Object, error) {
	opts := minio.GetObjectOptions{}
	if n == 0 {
		o, err := b.Stat(ctx, rel)
		return io.NopCloser(strings.NewReader("")), o, err
	}
	if off > 0 || n > 0 {
		end := int64(0)
		if n > 0 {
			end = off + n - 1
		}
		if err := opts.SetRange(off, end); err != nil {
			return nil, store.Object{}, err
		}
	}
	obj, err := b.client.GetObject(ctx, b.bucket, b.FullKey(rel), opts)
	if err != nil {
		return nil, store.Object{}, b.explain(err, rel)
	}
	info, err := obj.Stat() // a HEAD request
	if err != nil {
		obj.Close()
		return nil, store.Object{}, b.explain(b.whyForbidden(ctx, err), rel)
	}
	return &reader{obj: obj, b: b, rel: rel}, store.Object{Key: rel, Size: info.Size, ModTime: info.LastModified, ETag: info.ETag}, nil
}

// reader explains the errors of a streamed object in words.
type reader struct {
	obj *minio.Object
	b   *Backend
	rel string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = r.b.explain(err, r.rel)
	}
	return n, err
}

func (r *reader) Close() error { return r.obj.Close() }

// Put uploads the object: a single PUT, or a multipart upload for a large
// or unknown size, which the server makes visible only when it completes.
// A failed upload is aborted by the client, so nothing is left.
func (b *Backend) Put(ctx context.Context, rel string, r io.Reader, size int64) (store.Object, error) {
	info, err := b.client.PutObject(ctx, b.bucket, b.FullKey(rel), r, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream", PartSize: b.partSize,
	})
	if err != nil {
		return store.Object{}, b.explain(err, rel)
	}
	return store.Object{Key: rel, Size: info.Size, ModTime: info.LastModified, ETag: info.ETag}, nil
}

// Delete removes the object; S3 deletes an absent key without complaint.
func (b *Backend) Delete(ctx context.Context, rel string) error {
	if err := b.client.RemoveObject(ctx, b.bucket, b.FullKey(rel), minio.RemoveObjectOptions{}); err != nil && !isNoSuchKey(err) {
		return b.explain(err, rel)
	}
	return nil
}

// Copy copies src to dst on the server: one CopyObject, or for an object
// larger than a single copy may be (5 GiB) a multipart copy of its parts,
// which the server makes visible only when it completes.
func (b *Backend) Copy(ctx context.Context, src, dst string) error {
	_, err := b.client.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: b.bucket, Object: b.FullKey(dst)},
		minio.CopySrcOptions{Bucket: b.bucket, Object: b.FullKey(src)})
	if err != nil {
		return b.explain(err, src)
	}
	return nil
}

// Touch copies the object onto itself with its metadata replaced, which
// S3 allows only as a change of metadata: the bytes stay, the object's
// LastModified becomes now.
func (b *Backend) Touch(ctx context.Context, rel string) error {
	_, err := b.client.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: b.bucket, Object: b.FullKey(rel), ReplaceMetadata: true,
			UserMetadata: map[string]string{
				"Content-Type":       "application/octet-stream",
				"lashview-refreshed": time.Now().UTC().Format(time.RFC3339Nano),
			}},
		minio.CopySrcOptions{Bucket: b.bucket, Object: b.FullKey(rel)})
	if err != nil {
		return b.explain(err, rel)
	}
	return nil
}

// Unfinished lists the multipart uploads begun under dir and never
// completed or aborted.
func (b *Backend) Unfinished(ctx context.Context, dir string) ([]store.Upload, error) {
	var ups []store.Upload
	for u := range b.client.ListIncompleteUploads(ctx, b.bucket, b.FullKey(dir), true) {
		if u.Err != nil {
			return nil, b.explain(u.Err, "")
		}
		up := store.Upload{Key: b.rel(u.Key), ID: u.UploadID, Initiated: u.Initiated, Size: u.Size}
		if up.Size == 0 {
			size, err := b.partsSize(ctx, u.Key, u.UploadID)
			if err != nil {
				return nil, b.explain(err, up.Key)
			}
			up.Size = size
		}
		ups = append(ups, up)
	}
	return ups, ctx.Err()
}

// partsSize adds up the sizes of an unfinished upload's parts (the
// listing of uploads does not say).
func (b *Backend) partsSize(ctx context.Context, key, uploadID string) (int64, error) {
	core := minio.Core{Client: b.client}
	var size int64
	marker := 0
	for {
		res, err := core.ListObjectParts(ctx, b.bucket, key, uploadID, marker, 1000)
		if err != nil {
			if isNoSuchKey(err) || minio.ToErrorResponse(err).Code == "NoSuchUpload" {
				return size, nil // finished or aborted meanwhile
			}
			return 0, err
		}
		for _, p := range res.ObjectParts {
			size += p.Size
		}
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			return size, nil
		}
		marker = res.NextPartNumberMarker
	}
}

// Abort discards one unfinished upload.
func (b *Backend) Abort(ctx context.Context, u store.Upload) error {
	if err := b.client.RemoveIncompleteUpload(ctx, b.bucket, b.FullKey(u.Key)); err != nil {
		return b.explain(err, u.Key)
	}
	return nil
}

var (
	_ store.Backend = (*Backend)(nil)
	_ store.Uploads = (*Backend)(nil)
)
