package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"lashview/internal/format"
	"lashview/store"
)

// progressLine redraws one status line on a terminal with \r. A nil one
// draws nothing.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	width int // of the last line drawn, to blank it
}

// update shows verify's progress, with its rate and time left.
func (p *progressLine) update(v store.VerifyProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	line := fmt.Sprintf("verify: %d/%d blobs, %s of %s", v.Files, v.TotalFiles, format.Bytes(v.Bytes), format.Bytes(v.TotalBytes))
	if el > 0.2 && v.Bytes > 0 {
		rate := float64(v.Bytes) / el
		left := time.Duration(float64(v.TotalBytes-v.Bytes) / rate * float64(time.Second))
		line += fmt.Sprintf(", %s/s, %s left", format.Bytes(int64(rate)), left.Round(time.Second))
	}
	p.drawLocked(line)
}

// draw shows line in place of the last one.
func (p *progressLine) draw(line string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawLocked(line)
}

func (p *progressLine) drawLocked(line string) {
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.width = len(line)
}

// clear blanks the line so the results print on a clean one.
func (p *progressLine) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
}
