package unit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"alprd/firmware/ctl"
	"alprd/firmware/record"
)

// feed fans the unit's reads, alerts and dispositions out to the consoles
// watching, and keeps the plate crops they show as files in a folder on
// tmpfs (the newest keepCrops of them).
type feed struct {
	cropDir string

	mu    sync.Mutex
	subs  map[*watcher]struct{}
	crops []string // paths, oldest first
}

type watcher struct {
	ctx context.Context
	ch  chan ctl.Event
}

const keepCrops = 500

func newFeed(cropDir string) (*feed, error) {
	if cropDir != "" {
		if err := os.MkdirAll(cropDir, 0o750); err != nil {
			return nil, fmt.Errorf("unit: console crops: %w", err)
		}
	}
	return &feed{cropDir: cropDir, subs: map[*watcher]struct{}{}}, nil
}

// Read shows a read.
func (f *feed) Read(r record.Read) {
	path := f.saveCrop(r)
	r.Crop = nil // the console shows the file; the stream stays small
	f.send(ctl.Event{Kind: ctl.KindRead, Read: &r, CropPath: path})
}

// Alert shows an alert.
func (f *feed) Alert(a record.Alert) {
	f.send(alertEvent(a, f.saveCrop(a.Read)))
}

// Disposition shows an officer's verdict.
func (f *feed) Disposition(d record.Disposition) {
	f.send(ctl.Event{Kind: ctl.KindDisposition, Disposition: &d})
}

func alertEvent(a record.Alert, crop string) ctl.Event {
	a.Read.Crop = nil
	return ctl.Event{Kind: ctl.KindAlert, Alert: &a, CropPath: crop}
}

// cropPath is where the crop of read id is, if kept.
func (f *feed) cropPath(id string) string {
	if f.cropDir == "" || id == "" {
		return ""
	}
	p := filepath.Join(f.cropDir, id+".jpg")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func (f *feed) saveCrop(r record.Read) string {
	if f.cropDir == "" || len(r.Crop) == 0 || r.ID == "" || r.ID != filepath.Base(r.ID) {
		return ""
	}
	p := filepath.Join(f.cropDir, r.ID+".jpg")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if err := os.WriteFile(p, r.Crop, 0o640); err != nil {
		return ""
	}
	f.crops = append(f.crops, p)
	for len(f.crops) > keepCrops {
		os.Remove(f.crops[0])
		f.crops = f.crops[1:]
	}
	return p
}

// Watch implements ctl.Handler's Watch: events from now until ctx is done.
func (f *feed) Watch(ctx context.Context) <-chan ctl.Event {
	w := &watcher{ctx: ctx, ch: make(chan ctl.Event)}
	f.mu.Lock()
	f.subs[w] = struct{}{}
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		delete(f.subs, w)
		f.mu.Unlock()
		close(w.ch)
	}()
	return w.ch
}

// send delivers ev to every watcher; the ctl server drains promptly, and a
// watcher whose ctx is done is skipped.
func (f *feed) send(ev ctl.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.subs {
		select {
		case w.ch <- ev:
		case <-w.ctx.Done():
		}
	}
}
