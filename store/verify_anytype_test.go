package store

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// alpha111Blob reads a blob of the shared alpha.111 store (lash writes any
// media type there).
func alpha111Blob(t *testing.T, id string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures(t), "..", "lash-sessions", "alpha111", "lash-home", "attachments", "sha256", id[:2], id))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// putRaw lays data down as lash does, under the id of its bytes (or under
// name, to fake corruption), with no sidecar, and returns the id.
func putRaw(t *testing.T, root string, data []byte, name ID) ID {
	t.Helper()
	if name == "" {
		name = IDOf(sha256.Sum256(data))
	}
	dir := filepath.Join(root, "sha256", name.Prefix())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, string(name)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// In a blob-only store a blob that is no image (a PDF, raw bytes, text) is
// checked for its hash only and is not undecodable; an image there still
// has to decode; a sidecar that calls a PDF an image is still a problem.
func TestVerifyBlobOnlyAnyType(t *testing.T) {
	root := t.TempDir()
	pdfBytes := alpha111Blob(t, "9e6506e7a063781cac34b0df903f4549cc248a2a284ea89ce56f8194215331dc")
	pngBytes := alpha111Blob(t, "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246")
	pdf := putRaw(t, root, pdfBytes, "")
	raw := putRaw(t, root, alpha111Blob(t, "2b1c7cf630671f275630a515ca59ef43df678cbbc83b84aa37e8d7c95ba11d73"), "")
	text := putRaw(t, root, []byte("build log: all green\n"), "")
	png := putRaw(t, root, pngBytes, "")
	cutPNG := putRaw(t, root, pngBytes[:100], "")
	flipped := append([]byte(nil), pdfBytes...)
	flipped[300] ^= 1
	corrupt := putRaw(t, root, flipped, "c0ffee0000000000000000000000000000000000000000000000000000000000")
	// A sidecar-era pair whose sidecar says PNG over a PDF's bytes.
	labelled := putRaw(t, root, append(append([]byte(nil), pdfBytes...), '\n'), "")
	side := Sidecar{ID: string(labelled), MediaType: PNG, ByteLen: uint64(len(pdfBytes) + 1)}
	if err := os.WriteFile(filepath.Join(root, "sha256", labelled.Prefix(), string(labelled)+".json"), side.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}

	// The sidecar pair makes this a mixed store: newer lash writes here,
	// as its sessions would say.
	s, err := Open(root, Options{NewerLash: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(context.Background(), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[ID]VerifyResult{}
	for _, r := range rep.Results {
		got[r.ID] = r
	}
	for _, w := range []struct {
		id      ID
		status  VerifyStatus
		mime    string
		decoded MediaType
	}{
		{pdf, VerifyOK, "application/pdf", ""},
		{raw, VerifyOK, "application/octet-stream", ""},
		{text, VerifyOK, "text/plain", ""},
		{png, VerifyOK, "image/png", PNG},
		{cutPNG, VerifyUndecodable, "image/png", PNG},
		{corrupt, VerifyCorrupt, "", ""},
		{labelled, VerifyUndecodable, "application/pdf", ""},
	} {
		r, ok := got[w.id]
		if !ok {
			t.Errorf("%s: not verified", w.id.Short())
			continue
		}
		if r.Status != w.status || r.MIME != w.mime || r.Decoded != w.decoded {
			t.Errorf("%s: %s (%q) MIME %q decoded %q; want %s, %q, %q", w.id.Short(), r.Status, r.Detail, r.MIME, r.Decoded, w.status, w.mime, w.decoded)
		}
		if r.Status == VerifyOK && r.Detail != "" {
			t.Errorf("%s: ok with detail %q", w.id.Short(), r.Detail)
		}
	}
	if r := got[labelled]; r.Declared != PNG {
		t.Errorf("the sidecar's type was not read: %+v", r)
	}
	if r := got[png]; r.Width != 1 || r.Height != 1 {
		t.Errorf("blob-only png: %dx%d, want 1x1", r.Width, r.Height)
	}

	// The details panel's single check says the same.
	res, err := s.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Attachments {
		if a.ID != pdf {
			continue
		}
		if r := s.VerifyAttachment(context.Background(), a, 0); r.Status != VerifyOK || r.MIME != "application/pdf" {
			t.Errorf("VerifyAttachment of the PDF: %+v", r)
		}
	}
}

// hashOnly: only a blob without any sidecar file, whose bytes are no image.
func TestHashOnly(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Attachment
		mime string
		want bool
	}{
		{"blob-only pdf", Attachment{HasBlob: true, Generation: GenBlobOnly}, "application/pdf", true},
		{"blob-only bytes", Attachment{HasBlob: true, Generation: GenBlobOnly}, "application/octet-stream", true},
		{"blob-only png", Attachment{HasBlob: true, Generation: GenBlobOnly}, "image/png", false},
		{"pdf missing its sidecar in a sidecar store", Attachment{HasBlob: true, Generation: GenSidecar}, "application/pdf", false},
		{"pdf with a sidecar", Attachment{HasBlob: true, HasSidecar: true, Meta: &Sidecar{MediaType: PNG}}, "application/pdf", false},
		{"pdf with an unreadable sidecar", Attachment{HasBlob: true, HasSidecar: true}, "application/pdf", false},
		{"no blob", Attachment{HasSidecar: true}, "application/pdf", false},
	} {
		if got := hashOnly(tc.a, tc.mime); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
