package cli

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"lashview/internal/fixture"
	"lashview/internal/pgtest"
	"lashview/internal/s3test"
	"lashview/internal/storecases"
	"lashview/internal/syncbuf"
	"lashview/internal/testbin"
	"lashview/store"
)

// bucketEnv starts a real S3 server, points the AWS environment at it and
// keeps the head cache and the Trash's folders in the test's own.
func bucketEnv(t *testing.T) (*s3test.Server, *minio.Client) {
	t.Helper()
	srv := s3test.Start(t)
	srv.SetEnv(t)
	tempXDG(t)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(t.TempDir(), "cache"))
	return srv, srv.Client(t)
}

// storeURL is s3://bucket[/prefix].
func storeURL(bucket, prefix string) string {
	if prefix == "" {
		return "s3://" + bucket
	}
	return "s3://" + bucket + "/" + prefix
}

// keysUnder lists the bucket's keys under prefix/dir, relative to prefix.
func keysUnder(t *testing.T, c *minio.Client, bucket, prefix, dir string) []string {
	t.Helper()
	full := dir
	if prefix != "" {
		full = prefix + "/" + dir
	}
	var keys []string
	for o := range c.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Prefix: full, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, strings.TrimPrefix(o.Key, prefix+"/"))
	}
	return keys
}

// foreignKeys are the keys under PREFIX/sha256/ that are not blob or
// sidecar names: lash would list each as a blob.
func foreignKeys(t *testing.T, c *minio.Client, bucket, prefix string) []string {
	t.Helper()
	var out []string
	for _, key := range keysUnder(t, c, bucket, prefix, "sha256/") {
		k := store.ParseKey(key)
		if k.Folder != "" || k.Marker {
			out = append(out, key)
			continue
		}
		if n := store.ParseName(k.Name, k.Prefix); n.Kind != store.NameBlob && n.Kind != store.NameSidecar {
			out = append(out, key)
		}
	}
	return out
}

// assertOnlyLashKeys fails when the bucket holds, under PREFIX/sha256/,
// anything but blob and sidecar names besides the strays the test put
// there (a fixture's litter): lash lists every object there as a blob, so
// lashview must never leave another one (a temp, a journal, a trashed
// copy).
func assertOnlyLashKeys(t *testing.T, c *minio.Client, bucket, prefix, after string, strays ...string) {
	t.Helper()
	for _, key := range foreignKeys(t, c, bucket, prefix) {
		if !slices.Contains(strays, key) {
			t.Errorf("after %s: %s is not a blob or sidecar name", after, key)
		}
	}
}

// lsIDs runs ls --json and returns the ids it lists with their status.
func lsIDs(t *testing.T, args ...string) map[string]string {
	t.Helper()
	code, out, errOut := cli(t, append([]string{"ls", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("ls %v: exit %d: %s", args, code, errOut)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r lsRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		got[r.ID] = r.Status
	}
	return got
}

// TestBucketLs: ls --json on a bucket holding each fixture set's store,
// at the bucket's top and under a prefix, says what expected.json says,
// with the set's sessions named by --sessions (a bucket has no folder
// beside it).
func TestBucketLs(t *testing.T) {
	_, client := bucketEnv(t)
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		for _, prefix := range []string{"", "team/lash"} {
			t.Run(set+"/prefix="+prefix, func(t *testing.T) {
				home := storecases.CopyHome(t, set)
				bucket := newBucket(t, client)
				s3test.Upload(t, client, bucket, prefix, filepath.Join(home, "attachments"))
				strays := foreignKeys(t, client, bucket, prefix)
				url := storeURL(bucket, prefix)
				checkLs(t, set, false, "--store", url, "--sessions", filepath.Join(home, "sessions"))
				code, out, errOut := cli(t, "ls", "--store", url)
				if code != exitOK || !strings.Contains(out, " attachments in "+url+"\n") {
					t.Errorf("ls: exit %d, %q %q", code, out, errOut)
				}
				assertOnlyLashKeys(t, client, bucket, prefix, "ls", strays...)
			})
		}
	}
}

// newBucket makes a bucket on the server the environment names.
func newBucket(t *testing.T, c *minio.Client) string {
	t.Helper()
	name := "lashview-cli-" + strings.ToLower(strings.NewReplacer("/", "-", "=", "-", "_", "-").Replace(t.Name()))
	if len(name) > 63 {
		name = name[:63]
	}
	name = strings.TrimRight(name, "-")
	if err := c.MakeBucket(t.Context(), name, minio.MakeBucketOptions{Region: s3test.Region}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

// TestBucketChanges: put, get, label, rm, restore, empty-trash, verify,
// doctor and thumbs on a bucket, with ls before and after, and nothing but
// blob and sidecar names under sha256/ after each.
func TestBucketChanges(t *testing.T) {
	_, client := bucketEnv(t)
	bucket := newBucket(t, client)
	const prefix = "lash/attachments"
	url := storeURL(bucket, prefix)
	dir := t.TempDir()
	a, b := watchPNG(t, dir, 1), watchPNG(t, dir, 2)
	step := func(what string, args ...string) string {
		t.Helper()
		code, out, errOut := cli(t, append(args[:1:1], append([]string{"--store", url}, args[1:]...)...)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s%s", what, code, out, errOut)
		}
		assertOnlyLashKeys(t, client, bucket, prefix, what)
		return out
	}
	if got := lsIDs(t, "--store", url); len(got) != 0 {
		t.Fatalf("an empty prefix lists %v", got)
	}
	out := step("put", "put", "--label", "first", a, b)
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var ref struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(l), &ref); err != nil {
			t.Fatalf("put printed %q: %v", l, err)
		}
		ids = append(ids, ref.ID)
	}
	if len(ids) != 2 {
		t.Fatalf("put printed %q", out)
	}
	if got := lsIDs(t, "--store", url); len(got) != 2 || got[ids[0]] != "ok" || got[ids[1]] != "ok" {
		t.Fatalf("ls after put: %v", got)
	}
	want, _ := os.ReadFile(a)
	if got := step("get", "get", ids[0]); got != string(want) {
		t.Errorf("get served %d bytes, the file has %d", len(got), len(want))
	}
	step("label", "label", ids[1], "second")
	code, out, _ := cli(t, "ls", "--json", "--store", url)
	if code != exitOK || !strings.Contains(out, `"label":"second"`) || !strings.Contains(out, `"label":"first"`) {
		t.Errorf("ls after label: %s", out)
	}

	out = step("rm", "rm", ids[0])
	if !strings.Contains(out, "trashed "+ids[0]+" (blob and sidecar)") || !strings.Contains(out, "trash area at "+url+"/"+store.TrashDir) {
		t.Errorf("rm said %q", out)
	}
	if got := lsIDs(t, "--store", url); len(got) != 1 || got[ids[1]] != "ok" {
		t.Errorf("ls after rm: %v", got)
	}
	if keys := keysUnder(t, client, bucket, prefix, store.TrashDir); len(keys) == 0 {
		t.Error("rm left nothing in the trash area")
	}
	out = step("restore", "restore")
	if !strings.Contains(out, "restored      sha256/"+ids[0][:2]+"/"+ids[0]+"\n") || !strings.Contains(out, "2 restored") {
		t.Errorf("restore said %q", out)
	}
	if got := lsIDs(t, "--store", url); len(got) != 2 {
		t.Errorf("ls after restore: %v", got)
	}

	step("rm again", "rm", ids[1])
	out = step("empty-trash", "empty-trash", "--older-than", "30d")
	if !strings.Contains(out, "deleted 0 trashed batches") {
		t.Errorf("empty-trash --older-than 30d said %q", out)
	}
	out = step("empty-trash", "empty-trash")
	if !strings.HasPrefix(out, "deleted ") || strings.HasPrefix(out, "deleted 0 ") {
		t.Errorf("empty-trash said %q", out)
	}
	if keys := keysUnder(t, client, bucket, prefix, store.TrashDir); len(keys) != 0 {
		t.Errorf("the trash area holds %v after empty-trash", keys)
	}
	if got := lsIDs(t, "--store", url); len(got) != 1 {
		t.Errorf("ls after empty-trash: %v", got)
	}

	out = step("verify", "verify")
	if !strings.Contains(out, "verified 1 blobs") {
		t.Errorf("verify said %q", out)
	}
	step("doctor", "doctor")

	cache := t.TempDir()
	out = step("thumbs", "thumbs", "--cache", cache)
	if !strings.HasPrefix(out, "made 1 thumbnails") {
		t.Errorf("thumbs said %q", out)
	}
	out = step("thumbs again", "thumbs", "--cache", cache)
	if !strings.HasPrefix(out, "nothing to do") {
		t.Errorf("thumbs a second time said %q", out)
	}
}

// TestBucketErrors: a missing bucket, a refused key, an endpoint where no
// server answers and a folder's empty-trash are said in words.
func TestBucketErrors(t *testing.T) {
	srv, _ := bucketEnv(t)
	code, _, errOut := cli(t, "ls", "--store", "s3://no-such-bucket-here/p")
	if code != exitProblems || !strings.Contains(errOut, "no such bucket") {
		t.Errorf("ls of a missing bucket: exit %d, %q", code, errOut)
	}
	bucket := newBucket(t, srv.Client(t))
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	code, _, errOut = cli(t, "ls", "--store", storeURL(bucket, ""))
	if code != exitProblems || !strings.Contains(errOut, "access denied") {
		t.Errorf("ls with a wrong secret key: exit %d, %q", code, errOut)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	code, _, errOut = cli(t, "ls", "--store", storeURL(bucket, ""))
	if code != exitProblems || !strings.Contains(errOut, "cannot be reached") {
		t.Errorf("ls with no server at the endpoint: exit %d, %q", code, errOut)
	}
	code, _, errOut = cli(t, "empty-trash", "--store", t.TempDir())
	if code != exitProblems || !strings.Contains(errOut, "desktop Trash") {
		t.Errorf("empty-trash on a folder: exit %d, %q", code, errOut)
	}
	code, _, errOut = cli(t, "empty-trash", "--older-than", "soon")
	if code != exitUsage {
		t.Errorf("empty-trash --older-than soon: exit %d, %q", code, errOut)
	}
}

// ageObjects sets the time of every object of the bucket before the
// cutoff the fixtures' sweep uses, as ageBlobs does for a folder: the
// test server's POSIX backend keeps an object's LastModified as its
// file's time.
func ageObjects(t *testing.T, srv *s3test.Server, bucket string) {
	t.Helper()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	err := filepath.WalkDir(filepath.Join(srv.Root, bucket), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			err = os.Chtimes(p, old, old)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// gcIDs reads gc --json's ids.
func gcIDs(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r gcRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// TestBucketGC: gc --dry-run on a bucket selects exactly what lash's sweep
// would reclaim and moves nothing; gc moves exactly those to the trash
// area, restore brings them back; with ls before and after.
func TestBucketGC(t *testing.T) {
	srv, client := bucketEnv(t)
	for _, set := range []string{"alpha43", "mixed"} {
		t.Run(set, func(t *testing.T) {
			home := storecases.CopyHome(t, set)
			bucket := newBucket(t, client)
			s3test.Upload(t, client, bucket, "p", filepath.Join(home, "attachments"))
			ageObjects(t, srv, bucket)
			strays := foreignKeys(t, client, bucket, "p")
			url := storeURL(bucket, "p")
			sess := filepath.Join(home, "sessions")
			e := storecases.ReadExpected(t, set)
			want := slices.Sorted(slices.Values(e.LashGC.Reclaimable))
			before := lsIDs(t, "--store", url, "--sessions", sess)
			code, out, errOut := cli(t, "gc", "--dry-run", "--json", "--grace", graceAt(e), "--store", url, "--sessions", sess)
			if code != exitOK || !slices.Equal(gcIDs(t, out), want) {
				t.Fatalf("gc --dry-run: exit %d, %v, want %v: %s", code, gcIDs(t, out), want, errOut)
			}
			assertOnlyLashKeys(t, client, bucket, "p", "gc --dry-run", strays...)
			if got := lsIDs(t, "--store", url, "--sessions", sess); !maps.Equal(got, before) {
				t.Errorf("gc --dry-run changed the listing")
			}
			code, out, errOut = cli(t, "gc", "--json", "--grace", graceAt(e), "--store", url, "--sessions", sess)
			if code != exitOK || !slices.Equal(gcIDs(t, out), want) {
				t.Fatalf("gc: exit %d, %v, want %v: %s", code, gcIDs(t, out), want, errOut)
			}
			assertOnlyLashKeys(t, client, bucket, "p", "gc", strays...)
			after := lsIDs(t, "--store", url, "--sessions", sess)
			for _, id := range want {
				if st := after[id]; st != "missing" && st != "" {
					t.Errorf("%s is still in the store after gc (%s)", id[:12], st)
				}
			}
			if code, _, errOut := cli(t, "restore", "--store", url, "--sessions", sess); code != exitOK {
				t.Fatalf("restore: exit %d: %s", code, errOut)
			}
			assertOnlyLashKeys(t, client, bucket, "p", "restore", strays...)
			if got := lsIDs(t, "--store", url, "--sessions", sess); !maps.Equal(got, before) {
				t.Errorf("after restore ls says %v\nbefore gc it said %v", got, before)
			}
		})
	}
}

// TestBucketPostgres: a bucket store with its sessions in PostgreSQL, as
// lash runs on servers: ls, refs, label and gc say what they say for the
// same store in a folder.
func TestBucketPostgres(t *testing.T) {
	srv, client := bucketEnv(t)
	sock := pgtest.Start(t)
	pgtest.Psql(t, sock, "postgres", "-c", "CREATE DATABASE lash")
	pgtest.Psql(t, sock, "lash", "-f", filepath.Join(storecases.Shared(t), "lash-sessions", "postgres.sql"))
	pg := pgtest.URL(sock, "lash")
	home := storecases.CopyHome(t, "alpha111")
	bucket := newBucket(t, client)
	s3test.Upload(t, client, bucket, "lash", filepath.Join(home, "attachments"))
	strays := foreignKeys(t, client, bucket, "lash")
	url := storeURL(bucket, "lash")
	checkLs(t, "alpha111", true, "--store", url, "--sessions", pg)
	code, out, errOut := cli(t, "refs", "--store", url, "--sessions", pg, "237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11")
	if code != exitOK || !strings.Contains(out, "used by 2 sessions: tidal-cove") {
		t.Errorf("refs: exit %d, %q %q", code, out, errOut)
	}
	// Postgres is only ever newer lash's: the store is blob-only.
	if code, _, errOut := cli(t, "label", "--store", url, "--sessions", pg, "237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11", "x"); code != exitProblems || !strings.Contains(errOut, "session databases") {
		t.Errorf("label: exit %d, %q", code, errOut)
	}
	ageObjects(t, srv, bucket)
	e := storecases.ReadExpected(t, "alpha111")
	want := slices.Sorted(slices.Values(e.LashGC.Reclaimable))
	code, out, errOut = cli(t, "gc", "--dry-run", "--json", "--grace", graceAt(e), "--store", url, "--sessions", pg)
	if code != exitOK || !slices.Equal(gcIDs(t, out), want) {
		t.Errorf("gc --dry-run: exit %d, %v, want %v: %s", code, gcIDs(t, out), want, errOut)
	}
	code, out, errOut = cli(t, "gc", "--json", "--grace", graceAt(e), "--store", url, "--sessions", pg)
	if code != exitOK || !slices.Equal(gcIDs(t, out), want) {
		t.Errorf("gc: exit %d, %v, want %v: %s", code, gcIDs(t, out), want, errOut)
	}
	assertOnlyLashKeys(t, client, bucket, "lash", "gc", strays...)
	// Without --sessions a bucket has none: gc refuses, in words.
	t.Setenv("LASH_POSTGRES_DATABASE_URL", "")
	code, _, errOut = cli(t, "gc", "--store", url)
	if code != exitProblems || !strings.Contains(errOut, "no lash sessions were named") {
		t.Errorf("gc without sessions: exit %d, %q", code, errOut)
	}
}

// TestBucketWatch: `lashview watch --json` on a bucket, the real binary,
// reports a put by another client (minio-go, as lash would write).
func TestBucketWatch(t *testing.T) {
	_, client := bucketEnv(t)
	bucket := newBucket(t, client)
	url := storeURL(bucket, "p")
	bin := testbin.Lashview(t)
	cmd := exec.Command(bin, "watch", "--store", url, "--interval", "200ms", "--json")
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	p := &watchProcess{cmd: cmd, lines: make(chan string, 1000), stderr: &syncbuf.Buffer{}}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	deadline := time.Now().Add(watchDeadline)
	for !strings.Contains(p.stderr.String(), "lashview watch: polling "+url+" every 200ms") {
		if time.Now().After(deadline) {
			t.Fatalf("lashview watch did not start; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, err := os.ReadFile(watchPNG(t, t.TempDir(), 5))
	if err != nil {
		t.Fatal(err)
	}
	id := store.IDOf(sha256.Sum256(data))
	if _, err := client.PutObject(t.Context(), bucket, "p/"+store.BlobKey(id), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	var rec watchRecord
	for rec.ID != string(id) {
		line := p.next(t)
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("watch printed %q: %v", line, err)
		}
	}
	if rec.Event != "added" || rec.Status != "ok" || rec.MediaType != "image/png" {
		t.Errorf("the put is reported as %+v", rec)
	}
	p.stop(t, os.Interrupt)
}

// allKeys is every key under PREFIX/sha256/, sorted.
func allKeys(t *testing.T, c *minio.Client, bucket, prefix string) []string {
	t.Helper()
	return slices.Sorted(slices.Values(keysUnder(t, c, bucket, prefix, "sha256/")))
}

// idKinds reads verify --json's lines as "id kind", sorted, leaving out
// links and the ids in skip.
func idKinds(t *testing.T, out string, skip map[string]bool) []string {
	t.Helper()
	var got []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r struct{ ID, Kind string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		if !skip[r.ID] && r.Kind != "symlink" {
			got = append(got, r.ID+" "+r.Kind)
		}
	}
	slices.Sort(got)
	return got
}

// TestBucketVerifyDoctor: on a bucket holding the messy fixture store,
// verify finds what it finds in the folder (links aside: a bucket has
// none); doctor --fix moves what it fixes into the trash area, leaving no
// new key under sha256/, a second doctor has nothing to fix, and restore
// puts every key back.
func TestBucketVerifyDoctor(t *testing.T) {
	srv, client := bucketEnv(t)
	root := fixture.Copy(t, "messy")
	bucket := newBucket(t, client)
	links := s3test.Upload(t, client, bucket, "p", root)
	ageObjects(t, srv, bucket) // temps old enough to be litter
	url := storeURL(bucket, "p")
	linked := map[string]bool{}
	for _, l := range links {
		linked[filepath.Base(l)] = true
	}

	_, folderOut, _ := cli(t, "verify", "--json", "--store", root)
	code, out, errOut := cli(t, "verify", "--json", "--store", url)
	if code != exitProblems {
		t.Errorf("verify on the messy bucket: exit %d: %s", code, errOut)
	}
	if got, want := idKinds(t, out, linked), idKinds(t, folderOut, linked); !slices.Equal(got, want) {
		t.Errorf("verify on the bucket finds\n%v\nin the folder\n%v", got, want)
	}

	before := allKeys(t, client, bucket, "p")
	strays := foreignKeys(t, client, bucket, "p")
	code, out, errOut = cli(t, "doctor", "--fix", "--store", url)
	if !strings.Contains(out, " fixed, 0 failed, ") || strings.Contains(out, " 0 fixed,") || !strings.Contains(out, "lashview restore") {
		t.Errorf("doctor --fix: exit %d\n%s%s", code, out, errOut)
	}
	assertOnlyLashKeys(t, client, bucket, "p", "doctor --fix", strays...)
	if left := foreignKeys(t, client, bucket, "p"); len(left) >= len(strays) {
		t.Errorf("doctor --fix moved none of the stray keys %v", left)
	}
	if keys := keysUnder(t, client, bucket, "p", store.TrashDir); len(keys) == 0 {
		t.Error("doctor --fix put nothing in the trash area")
	}
	_, out, _ = cli(t, "doctor", "--fix", "--json", "--store", url)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		json.Unmarshal([]byte(l), &r)
		if l != "" && (r["fix"] != "none" || r["fixed"] != false) {
			t.Errorf("a second doctor --fix did something: %s", l)
		}
	}
	if code, out, errOut := cli(t, "restore", "--store", url); code != exitOK || !strings.Contains(out, "undoing doctor --fix") {
		t.Errorf("restore after doctor --fix: exit %d %s %s", code, out, errOut)
	}
	fixesWrote := map[string]bool{}
	for _, k := range allKeys(t, client, bucket, "p") {
		if !slices.Contains(before, k) {
			fixesWrote[k] = true
		}
	}
	for _, k := range before {
		if !slices.Contains(allKeys(t, client, bucket, "p"), k) {
			t.Errorf("%s did not come back", k)
		}
	}
	if len(fixesWrote) > 0 {
		t.Errorf("after restore the bucket holds keys it did not hold before: %v", fixesWrote)
	}
}

// TestBucketBlobOnlyWrites: put, label, doctor --fix, rm and restore on a
// bucket holding each lash-sessions set's store, with its sessions named:
// no sidecar appears in a store newer lash writes (a blob-only bucket keeps
// none at all), nothing but blob and sidecar names is ever under sha256/,
// and the session databases stay byte-identical.
func TestBucketBlobOnlyWrites(t *testing.T) {
	_, client := bucketEnv(t)
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		t.Run(set, func(t *testing.T) {
			home := storecases.CopyHome(t, set)
			sess := filepath.Join(home, "sessions")
			before := dbSums(t, sess)
			bucket := newBucket(t, client)
			s3test.Upload(t, client, bucket, "p", filepath.Join(home, "attachments"))
			strays := foreignKeys(t, client, bucket, "p")
			url := storeURL(bucket, "p")
			blobOnly := set != "alpha43"
			sidecars := func() []string {
				var out []string
				for _, k := range keysUnder(t, client, bucket, "p", "sha256/") {
					if strings.HasSuffix(k, ".json") {
						out = append(out, k)
					}
				}
				return out
			}
			sidecarsBefore := sidecars()
			run := func(what string, ok func(code int) bool, args ...string) (string, string) {
				t.Helper()
				full := append(args[:1:1], append([]string{"--store", url, "--sessions", sess}, args[1:]...)...)
				code, out, errOut := cli(t, full...)
				if !ok(code) {
					t.Fatalf("%s: exit %d: %s%s", what, code, out, errOut)
				}
				assertOnlyLashKeys(t, client, bucket, "p", what, strays...)
				return out, errOut
			}
			okOnly := func(code int) bool { return code == exitOK }
			pdf := filepath.Join(t.TempDir(), "spec.pdf")
			if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if blobOnly {
				out, _ := run("put", okOnly, "put", pdf)
				if !strings.Contains(out, `"media_type":"application/pdf"`) {
					t.Errorf("put said %q", out)
				}
			} else {
				run("put of a PDF into a sidecar store", func(code int) bool { return code == exitProblems }, "put", pdf)
			}
			const screenshot = "6637dced2b8c5c9ef71e1eebec805bd6e41279cb15fbe8bb7ae3fe0372f5b420"
			if set == "alpha111" {
				_, errOut := run("label", func(code int) bool { return code == exitProblems }, "label", screenshot, "new words")
				if !strings.Contains(errOut, "session databases") {
					t.Errorf("label in a blob-only bucket said %q", errOut)
				}
			}
			run("doctor --fix", func(code int) bool { return code == exitOK || code == exitProblems }, "doctor", "--fix")
			run("rm", okOnly, "rm", "--force", screenshot)
			// A session still refers to it: ls lists it as missing.
			if st := lsIDs(t, "--store", url, "--sessions", sess)[screenshot]; st != "missing" && st != "" {
				t.Errorf("after rm the screenshot is still in the bucket (%s)", st)
			}
			run("restore", okOnly, "restore", screenshot)
			if st := lsIDs(t, "--store", url, "--sessions", sess)[screenshot]; st != "ok" {
				t.Errorf("after restore the screenshot is %q, want ok", st)
			}
			if blobOnly {
				for _, k := range sidecars() {
					if !slices.Contains(sidecarsBefore, k) {
						t.Errorf("a sidecar appeared in a bucket newer lash writes: %s", k)
					}
				}
				if set == "alpha111" {
					if s := sidecars(); len(s) != 0 {
						t.Errorf("the blob-only bucket holds sidecars: %v", s)
					}
				}
			}
			if after := dbSums(t, sess); !maps.Equal(before, after) {
				t.Error("a command changed a session database")
			}
		})
	}
}
