// Package s3store reads a lash attachment store kept in an S3 bucket, as
// lash's lash-s3-store writes it: keys [PREFIX/]sha256/<2 hex>/<64 hex>,
// plus <id>.json sidecars in the sidecar generation (lash alpha.43–86) and
// none from alpha.87. It says of every attachment and every stray key what
// package store says of the same store in a folder (store.Judge decides
// for both), and fails with lash's error kinds (store.ErrNotFound,
// store.ErrMissingMeta, …) and with the bucket's own in words.
package s3store

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"lashview/store"
)

// Config is where the bucket's server is and who asks it.
type Config struct {
	// Endpoint is the server's URL: https://host[:port], or http://… for
	// a server without TLS (only when the URL says so). Empty is AWS S3.
	Endpoint string
	// Region is the bucket's region; empty lets the client ask the server.
	Region string
	// Creds are the credentials; nil is the standard AWS chain
	// (EnvCredentials).
	Creds *credentials.Credentials
	// MaxRetries is how often a failed request is tried again, with
	// backoff (0: 5 times).
	MaxRetries int
	// PartSize is the size of one part of a multipart upload (0: the
	// client's default); a put streams with about this much memory.
	PartSize uint64
	// HeadCache is the folder of the head caches (HeadCacheDir), which keep
	// what judging each object read of its start, by key and ETag, so a
	// store listed again fetches only what is new or changed; "" keeps
	// none.
	HeadCache string
}

// EnvConfig is the configuration the standard AWS environment gives, as
// lash's S3 store reads it: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL,
// AWS_REGION or AWS_DEFAULT_REGION, and EnvCredentials.
func EnvConfig() Config {
	c := Config{Endpoint: os.Getenv("AWS_ENDPOINT_URL_S3"), Region: os.Getenv("AWS_REGION"), Creds: EnvCredentials()}
	if c.Endpoint == "" {
		c.Endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if c.Region == "" {
		c.Region = os.Getenv("AWS_DEFAULT_REGION")
	}
	return c
}

// EnvCredentials is the AWS chain minio-go offers: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN first, then the profile
// AWS_PROFILE (else "default") of ~/.aws/credentials and ~/.aws/config
// (AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move them). The EC2
// instance-metadata service is not asked: lashview talks only to the
// endpoint it was given.
func EnvCredentials() *credentials.Credentials {
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
	})
}

// ParseURL splits s3://BUCKET[/PREFIX] into the bucket and the key prefix
// (no leading or trailing slash; "" for the bucket's top).
func ParseURL(raw string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(raw, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an S3 store: it must start with s3://BUCKET", raw)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket: write s3://BUCKET/PREFIX", raw)
	}
	prefix = strings.Trim(prefix, "/")
	for _, part := range strings.Split(prefix, "/") {
		if prefix != "" && (part == "" || part == "." || part == "..") {
			return "", "", fmt.Errorf("%q: the prefix %q has an empty, . or .. part", raw, prefix)
		}
	}
	return bucket, prefix, nil
}

// IsURL reports whether a --store argument names a bucket.
func IsURL(s string) bool { return strings.HasPrefix(s, "s3://") }

// client makes the minio-go client of c.
func (c Config) client() (*minio.Client, error) {
	host, secure := "s3.amazonaws.com", true
	if c.Endpoint != "" {
		if !strings.HasPrefix(c.Endpoint, "https://") && !strings.HasPrefix(c.Endpoint, "http://") {
			return nil, fmt.Errorf("the S3 endpoint %q must start with https:// (or http:// for a server without TLS)", c.Endpoint)
		}
		u, err := url.Parse(c.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("the S3 endpoint %q is not a URL: %w", c.Endpoint, err)
		}
		secure = u.Scheme == "https"
		if u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("the S3 endpoint %q must be scheme://host[:port] alone", c.Endpoint)
		}
		host = u.Host
	}
	creds := c.Creds
	if creds == nil {
		creds = EnvCredentials()
	}
	retries := c.MaxRetries
	if retries <= 0 {
		retries = 5
	}
	cl, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: c.Region, MaxRetries: retries})
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint %s: %w", host, err)
	}
	return cl, nil
}

// The bucket's failures, in words; errors.Is tells them apart.
var (
	ErrNoSuchBucket       = errors.New("no such bucket")
	ErrAccessDenied error = accessDenied{}
	ErrUnreachable        = errors.New("the S3 endpoint cannot be reached")
	ErrClockSkew          = errors.New("this computer's clock differs too much from the server's")
	ErrThrottled          = errors.New("the server asks to slow down (throttled), still after retries")
	// ErrVanished is an object that was listed and was gone when read.
	ErrVanished = store.ErrVanished
)

// accessDenied is also fs.ErrPermission, so a sidecar the server refuses
// is reported as a folder's unreadable file is.
type accessDenied struct{}

func (accessDenied) Error() string        { return "access denied" }
func (accessDenied) Is(target error) bool { return target == fs.ErrPermission }
