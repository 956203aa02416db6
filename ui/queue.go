package ui

import "sync"

// uiQueue carries work from background goroutines to the UI goroutine in
// batches: however many posts arrive between two frames, they cost one
// call of run (fyne.Do in the app, a direct call in tests), never one per
// event or per thumbnail.
type uiQueue struct {
	run       func(func())
	mu        sync.Mutex
	pending   []func()
	scheduled bool
}

func newUIQueue(run func(func())) *uiQueue { return &uiQueue{run: run} }

// post queues f to run on the UI goroutine. It may be called from any
// goroutine.
func (q *uiQueue) post(f func()) {
	q.mu.Lock()
	q.pending = append(q.pending, f)
	if q.scheduled {
		q.mu.Unlock()
		return
	}
	q.scheduled = true
	q.mu.Unlock()
	q.run(q.flush)
}

// flush runs everything queued so far, in order, on the UI goroutine.
func (q *uiQueue) flush() {
	q.mu.Lock()
	fs := q.pending
	q.pending = nil
	q.scheduled = false
	q.mu.Unlock()
	for _, f := range fs {
		f()
	}
}
