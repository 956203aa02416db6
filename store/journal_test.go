package store

import (
	"context"
	"fmt"
	"os"
	"testing"
)

func TestJournalSurvivesATornLine(t *testing.T) {
	s := New(copyFixture(t, "messy"))
	can := testCan(t)
	ctx := context.Background()
	if _, err := s.Trash(ctx, []ID{labelledPNG}, TrashOptions{Can: can}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(can.Journal, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"serial":"x","items":[{"act`)
	f.Close()
	if _, err := s.Restore(ctx, nil, TrashOptions{Can: can}); err != nil {
		t.Fatal(err)
	}
	if a, ok := s.Examine(labelledPNG); !ok || a.Status != StatusOK {
		t.Errorf("not restored: %+v", a)
	}
}

func TestJournalCompaction(t *testing.T) {
	can := testCan(t)
	oldMax, oldKeep := maxJournal, keepBatches
	maxJournal, keepBatches = 2048, 5
	t.Cleanup(func() { maxJournal, keepBatches = oldMax, oldKeep })
	var last *Batch
	for i := 0; i < 40; i++ {
		b := newBatch("/store", "rm")
		b.Items = []BatchItem{{Action: ActionTrash, Role: RoleBlob, Path: fmt.Sprintf("/store/sha256/%02d", i)}}
		if err := can.appendJournal(b); err != nil {
			t.Fatal(err)
		}
		last = b
	}
	fi, err := os.Stat(can.Journal)
	if err != nil || fi.Size() > 2*2048 {
		t.Fatalf("journal not compacted: %v %v", fi.Size(), err)
	}
	bs, err := can.Batches()
	if err != nil || len(bs) == 0 || len(bs) > 2*keepBatches {
		t.Fatalf("%d batches after compaction (%v)", len(bs), err)
	}
	if got := bs[len(bs)-1]; got.Serial != last.Serial || got.Items[0].Path != last.Items[0].Path {
		t.Errorf("newest batch lost: %+v", got)
	}
}
