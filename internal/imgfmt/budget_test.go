package imgfmt

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The decode budget clamps a request larger than itself, makes a second
// request wait for the first, and lets a cancelled waiter go.
func TestBudget(t *testing.T) {
	b := NewBudget(100)
	got, err := b.Acquire(context.Background(), 1000)
	if err != nil || got != 100 {
		t.Fatalf("acquire 1000 of 100: %d %v", got, err)
	}
	done := make(chan int64)
	go func() {
		n, _ := b.Acquire(context.Background(), 10)
		done <- n
	}()
	select {
	case <-done:
		t.Fatal("second acquire did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := b.Acquire(ctx, 10)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled acquire: %v", err)
	}
	b.Release(got)
	if n := <-done; n != 10 {
		t.Errorf("second acquire got %d", n)
	}
	if n, err := b.Acquire(context.Background(), -5); n != 0 || err != nil {
		t.Errorf("negative acquire: %d %v", n, err)
	}
}
