package s3store_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"lashview/internal/s3test"
	"lashview/store"
	"lashview/store/s3store"
)

// TestDoctorUnfinishedUpload: a multipart upload begun under the store and
// never completed is litter doctor reports (left alone while young) and
// --fix aborts; nothing else changes and no batch is recorded.
func TestDoctorUnfinishedUpload(t *testing.T) {
	srv := s3test.Start(t)
	ctx := t.Context()
	bucket := srv.Bucket(t)
	s, err := s3store.OpenWith(ctx, bucket, "team/lash", config(srv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Backend().(*s3store.Backend)
	key := store.BlobKey(store.ID(strings.Repeat("ab", 32)))
	core := minio.Core{Client: b.Client()}
	uploadID, err := core.NewMultipartUpload(ctx, bucket, b.FullKey(key), minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part := bytes.Repeat([]byte("x"), 1000)
	if _, err := core.PutObjectPart(ctx, bucket, b.FullKey(key), uploadID, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
	// One beside the store is not the store's.
	if _, err := core.NewMultipartUpload(ctx, bucket, "elsewhere/"+key, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}

	rep, err := s.Doctor(ctx, store.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Path != key || rep.Problems[0].Kind != string(store.FindingTempLitter) || rep.Problems[0].Fix != store.FixLeaveYoung {
		t.Fatalf("problems %+v", rep.Problems)
	}
	if !strings.Contains(rep.Problems[0].Detail, "1000 bytes in parts") {
		t.Errorf("detail %q does not say the bytes its parts hold", rep.Problems[0].Detail)
	}

	rep, err = s.Doctor(ctx, store.DoctorOptions{Fix: true, MinTempAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Fix != store.FixAbortUpload || !rep.Problems[0].Fixed || rep.Batch != nil {
		t.Fatalf("fix: %+v, batch %v", rep.Problems, rep.Batch)
	}
	ups, err := b.Unfinished(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 0 {
		t.Errorf("still unfinished: %+v", ups)
	}
	noObjects(t, s)
	var others int
	for u := range b.Client().ListIncompleteUploads(ctx, bucket, "elsewhere/", true) {
		if u.Err == nil {
			others++
		}
	}
	if others != 1 {
		t.Errorf("the upload beside the store: %d left, want 1", others)
	}
}
