package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // crops are JPEG
	"image/png"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"alprd/firmware/ctl"
)

// Terminal control sequences.
const (
	altScreenOn  = "\x1b[?1049h"
	altScreenOff = "\x1b[?1049l"
	cursorOff    = "\x1b[?25l"
	cursorOn     = "\x1b[?25h"
	clearScreen  = "\x1b[2J"
	sgrReset     = "\x1b[0m"
	eraseLine    = "\x1b[K"
	bell         = "\a"
	kittyDelete  = "\x1b_Ga=d,d=A,q=2\x1b\\"
)

const (
	statusEvery  = 30 * time.Second // the header's status is fetched again
	redrawEvery  = 5 * time.Second  // ages and the clock move on
	requestLimit = 10 * time.Second // one request to the unit
	maxCropFile  = 4 << 20
)

// Image protocols.
const (
	imgNone  = ""
	imgKitty = "kitty"
	imgITerm = "iterm"
)

// imageProtocol picks how the terminal shows images, from its environment.
// Inside tmux or screen nothing is sent: they do not pass images through.
func imageProtocol(getenv func(string) string) string {
	if getenv("TMUX") != "" || strings.HasPrefix(getenv("TERM"), "screen") || strings.HasPrefix(getenv("TERM"), "tmux") {
		return imgNone
	}
	if getenv("KITTY_WINDOW_ID") != "" || getenv("TERM") == "xterm-kitty" {
		return imgKitty
	}
	if getenv("TERM_PROGRAM") == "iTerm.app" {
		return imgITerm
	}
	return imgNone
}

func cmdWatch(ctx context.Context, g globals, args []string, e env) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	if err := parseSub(fs, args, "alprctl watch",
		"The alert console: live reads and open alerts; select an alert and record what you found.", e); err != nil {
		return err
	}
	c, sess, err := login(ctx, g, e)
	if err != nil {
		return err
	}
	defer c.Close()
	con := &console{sess: sess}
	if con.status, err = c.Status(ctx); err != nil {
		con.say(true, "Status unavailable: %v", err)
	}
	wctx, unwatch := context.WithCancel(ctx)
	defer unwatch()
	open, events, err := c.Watch(wctx)
	if err != nil {
		return err
	}
	con.open(open)
	tty, err := e.tty()
	if err != nil {
		return err
	}
	proto := imageProtocol(os.Getenv)
	con.images = proto != imgNone
	return runConsole(ctx, c, con, tty, events, proto)
}

// runConsole runs the full-screen console on tty until q, Ctrl-C, ctx is
// done or the connection ends; it restores the terminal and closes tty.
func runConsole(ctx context.Context, c *ctl.Client, con *console, tty *os.File, events <-chan ctl.Event, proto string) (err error) {
	var fd int
	if rc, err := tty.SyscallConn(); err == nil { // not tty.Fd(): that would make reads uninterruptible
		rc.Control(func(f uintptr) { fd = int(f) })
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		tty.Close()
		return fmt.Errorf("watch: terminal: %w", err)
	}
	out := bufio.NewWriterSize(tty, 64<<10)
	scr := &screen{out: out, proto: proto, crops: map[string]*crop{}}
	keys := make(chan []byte)
	done := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(keys)
		buf := make([]byte, 256)
		for {
			n, err := tty.Read(buf)
			if n > 0 {
				select {
				case keys <- bytes.Clone(buf[:n]):
				case <-done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer func() {
		signal.Stop(winch)
		if proto == imgKitty {
			out.WriteString(kittyDelete)
		}
		out.WriteString(sgrReset + cursorOn + altScreenOff)
		out.Flush()
		term.Restore(fd, old)
		close(done)
		tty.Close() // ends the reader's Read
		<-readerDone
	}()
	out.WriteString(altScreenOn + cursorOff + clearScreen)

	size := func() (int, int) {
		w, h, err := term.GetSize(fd)
		if err != nil || w <= 0 || h <= 0 {
			return 80, 24
		}
		return w, h
	}
	w, h := size()
	redraw := time.NewTicker(redrawEvery)
	defer redraw.Stop()
	lastStatus := time.Now()
	full := true
	for {
		scr.draw(con.render(w, h, time.Now()), w, full)
		full = false
		if err := out.Flush(); err != nil {
			return fmt.Errorf("watch: terminal: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case b, ok := <-keys:
			if !ok {
				return errors.New("watch: terminal closed")
			}
			for _, k := range parseKeys(b) {
				a := con.key(k)
				switch {
				case a.quit:
					return nil
				case a.redraw:
					full = true
				case a.dispose != nil:
					scr.draw(con.render(w, h, time.Now()), w, false)
					out.Flush()
					rctx, cancel := context.WithTimeout(ctx, requestLimit)
					d, err := c.Dispose(rctx, a.dispose.alert, a.dispose.outcome, a.dispose.note)
					cancel()
					con.disposed(*a.dispose, d, err)
				}
			}
		case ev, ok := <-events:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("watch: connection to the unit lost: %w", c.Err())
			}
			if con.apply(ev) {
				out.WriteString(bell)
			}
		case <-winch:
			w, h = size()
			full = true
		case <-redraw.C:
			if time.Since(lastStatus) >= statusEvery {
				lastStatus = time.Now()
				rctx, cancel := context.WithTimeout(ctx, requestLimit)
				if st, err := c.Status(rctx); err == nil {
					con.status = st
				}
				cancel()
			}
		}
	}
}

// screen paints frames on the terminal. It repaints every row each time
// (the terminal only sends what changed on the wire to a real screen
// anyway), but sends an image only when the selected alert or its place
// changes, and never writes over the image's cells meanwhile.
type screen struct {
	out    io.Writer
	proto  string
	placed string // key of the image on screen
	crops  map[string]*crop
}

// draw paints f on a w-column screen; full clears first.
func (s *screen) draw(f frame, w int, full bool) {
	key := ""
	if f.img != nil && s.proto != imgNone {
		key = fmt.Sprintf("%s@%d,%d,%dx%d/%d", f.img.alert.Alert.ID, f.img.row, f.img.col, f.img.cols, f.img.rows, w)
	}
	moved := key != s.placed || full
	if moved {
		if s.proto == imgKitty {
			io.WriteString(s.out, kittyDelete)
		}
		if full {
			io.WriteString(s.out, clearScreen)
		}
	}
	for i, r := range f.rows {
		fmt.Fprintf(s.out, "\x1b[%d;1H%s%s%s", i+1, r.style, r.text, sgrReset)
		if r.width < w && !moved {
			// Blank up to the image, not over it.
			io.WriteString(s.out, strings.Repeat(" ", r.width-runeLen(r.text)))
		} else {
			io.WriteString(s.out, eraseLine)
		}
	}
	if moved {
		s.placed = ""
		if key != "" && s.drawImage(f.img) {
			s.placed = key
		}
	}
}

func runeLen(s string) int { return len([]rune(s)) }

// crop is an alert's plate crop, ready to send.
type crop struct {
	png, raw []byte // for kitty (PNG only), for iTerm2 (any format)
	w, h     int
	err      error
}

func (s *screen) crop(ev ctl.Event) *crop {
	id := ev.Alert.ID
	if c, ok := s.crops[id]; ok {
		return c
	}
	c := &crop{raw: ev.Alert.Read.Crop}
	if len(c.raw) == 0 && ev.CropPath != "" {
		c.raw, c.err = readLimited(ev.CropPath, maxCropFile)
	}
	if c.err == nil && len(c.raw) == 0 {
		c.err = errors.New("no crop")
	}
	if c.err == nil {
		img, _, err := image.Decode(bytes.NewReader(c.raw))
		if err != nil {
			c.err = err
		} else {
			c.w, c.h = img.Bounds().Dx(), img.Bounds().Dy()
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				c.err = err
			}
			c.png = b.Bytes()
		}
	}
	if len(s.crops) > 64 {
		clear(s.crops)
	}
	s.crops[id] = c
	return c
}

func readLimited(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// drawImage sends the crop of p's alert at p's place; false when there is
// none to show.
func (s *screen) drawImage(p *placement) bool {
	c := s.crop(p.alert)
	if c.err != nil || c.w == 0 || c.h == 0 {
		return false
	}
	// Cells are about twice as tall as wide: keep the crop's shape.
	cols := min(p.cols, max(4, (2*p.rows*c.w+c.h/2)/c.h))
	rows := p.rows
	if cols == p.cols {
		rows = min(p.rows, max(1, (cols*c.h+c.w)/(2*c.w)))
	}
	fmt.Fprintf(s.out, "\x1b[%d;%dH", p.row, p.col)
	switch s.proto {
	case imgKitty:
		writeKitty(s.out, c.png, cols, rows)
	case imgITerm:
		fmt.Fprintf(s.out, "\x1b]1337;File=inline=1;size=%d;width=%d;height=%d;preserveAspectRatio=1;doNotMoveCursor=1:%s\a",
			len(c.raw), cols, rows, base64.StdEncoding.EncodeToString(c.raw))
	}
	return true
}

// writeKitty sends a PNG with the kitty graphics protocol, in chunks of at
// most 4096 base64 bytes, to be shown over cols x rows cells, without
// moving the cursor and without replies (q=2).
func writeKitty(w io.Writer, png []byte, cols, rows int) {
	data := base64.StdEncoding.EncodeToString(png)
	first := true
	for len(data) > 0 {
		n := min(len(data), 4096)
		chunk := data[:n]
		data = data[n:]
		more := 0
		if len(data) > 0 {
			more = 1
		}
		if first {
			fmt.Fprintf(w, "\x1b_Ga=T,f=100,t=d,c=%d,r=%d,C=1,q=2,m=%d;%s\x1b\\", cols, rows, more, chunk)
			first = false
		} else {
			fmt.Fprintf(w, "\x1b_Gm=%d;%s\x1b\\", more, chunk)
		}
	}
}
