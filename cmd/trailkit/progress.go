package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress draws a one-line progress bar on standard error while long work
// runs (validate, replay, lookup over many files): files, records, bytes,
// rate and, when the total is known, the time left. It draws nothing when
// standard error is not a terminal, or with --quiet or --json, so that
// scripts and pipes see only the command's output.
type progress struct {
	mu      sync.Mutex
	w       io.Writer // nil: draw nothing
	start   time.Time
	last    time.Time
	every   time.Duration
	total   int64 // files expected; 0 when unknown
	files   int64
	records int64
	bytes   int64
	drawn   bool
	now     func() time.Time
}

// newProgress returns a progress bar for e, drawing only on a terminal.
func newProgress(e *env, quiet bool) *progress {
	p := &progress{start: time.Now(), every: 200 * time.Millisecond, now: time.Now}
	if !quiet && isTerminal(e.stderr) {
		p.w = e.stderr
	}
	return p
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// setTotal sets the number of files expected, for the time left.
func (p *progress) setTotal(files int64) {
	p.mu.Lock()
	p.total = files
	p.mu.Unlock()
}

// add counts work done and redraws at most every p.every.
func (p *progress) add(files, records, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files += files
	p.records += records
	p.bytes += bytes
	if p.w == nil {
		return
	}
	if now := p.now(); now.Sub(p.last) >= p.every {
		p.last = now
		p.draw(now)
	}
}

// set replaces the counts, for work that reports running totals.
func (p *progress) set(files, records, bytes int64) {
	p.mu.Lock()
	p.files, p.records, p.bytes = 0, 0, 0
	p.mu.Unlock()
	p.add(files, records, bytes)
}

func (p *progress) draw(now time.Time) {
	elapsed := now.Sub(p.start).Seconds()
	line := fmt.Sprintf("%d files", p.files)
	if p.total > 0 {
		line = fmt.Sprintf("%d/%d files", p.files, p.total)
	}
	line += fmt.Sprintf("  %d records  %s", p.records, formatBytes(float64(p.bytes)))
	if elapsed > 0 {
		line += fmt.Sprintf("  %s/s", formatBytes(float64(p.bytes)/elapsed))
	}
	if p.total > 0 && p.files > 0 && p.files < p.total {
		left := time.Duration(elapsed * float64(p.total-p.files) / float64(p.files) * float64(time.Second))
		line += "  ETA " + left.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawn = true
}

// done clears the bar so that what follows starts on a clean line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

func formatBytes(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
