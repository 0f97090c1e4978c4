package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"alprd/firmware/ctl"
	"alprd/firmware/record"
)

func TestParseKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []key
	}{
		{"jk", []key{{keyRune, 'j'}, {keyRune, 'k'}}},
		{"\x1b[A\x1b[B", []key{{kind: keyUp}, {kind: keyDown}}},
		{"\x1bOA\x1bOB", []key{{kind: keyUp}, {kind: keyDown}}},
		{"\x1b", []key{{kind: keyEsc}}},
		{"\x1bq", []key{{kind: keyEsc}, {keyRune, 'q'}}},
		{"\x1b[1;5C", nil}, // Ctrl-Right: ignored
		{"\x1b[15~x", []key{{keyRune, 'x'}}},
		{"\x1b[", nil}, // cut short
		{"\r\n", []key{{kind: keyEnter}, {kind: keyEnter}}},
		{"\x7f\x08", []key{{kind: keyBackspace}, {kind: keyBackspace}}},
		{"\x03\x0c", []key{{kind: keyCtrlC}, {kind: keyCtrlL}}},
		{"é—\x01\t", []key{{keyRune, 'é'}, {keyRune, '—'}}},
		{"\xff", nil},
	} {
		if got := parseKeys([]byte(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("parseKeys(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
}

func testAlert(id, plate string, at time.Time) ctl.Event {
	return ctl.Event{
		Kind: ctl.KindAlert,
		Alert: &record.Alert{
			ID: id, Time: record.Millis(at), Notice: record.Notice, Match: record.MatchTolerant, Score: 0.87, Matched: plate + "X",
			Entry: record.HotEntry{Plate: plate, State: "CA", Type: "SV", Priority: 1, Reason: "stolen at gunpoint", Case: "2026-0042"},
			Read:  record.Read{Plate: plate, Confidence: 91.4, Frames: 5},
		},
		CropPath: "/run/alprd/crops/" + id + ".jpg",
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// screenText is the frame as a person reads it.
func screenText(f frame) string {
	var b strings.Builder
	for _, r := range f.rows {
		b.WriteString(r.text + "\n")
	}
	return b.String()
}

func TestConsoleDispose(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.Local)
	c := &console{sess: ctl.Session{User: "olive", Role: ctl.RoleOfficer, Purpose: "patrol"}}
	c.open([]ctl.Event{testAlert("a1", "OLD111", now.Add(-time.Minute))})
	if bellRung := c.apply(testAlert("a2", "NEW222", now)); !bellRung {
		t.Error("new alert: no bell")
	}
	if c.apply(testAlert("a2", "NEW222", now)) {
		t.Error("the same alert twice: bell rung again")
	}
	if got := alertIDs(c); !slices.Equal(got, []string{"a2", "a1"}) {
		t.Fatalf("alerts: got %v, want newest first", got)
	}
	if c.selID != "a1" {
		t.Errorf("selected: got %q, want a1 (kept when a2 came)", c.selID)
	}
	c.key(key{kind: keyUp})
	if c.selID != "a2" {
		t.Errorf("after ↑: selected %q, want a2", c.selID)
	}
	c.key(key{keyRune, 'j'})
	c.key(key{keyRune, 'j'}) // at the bottom: stays
	if c.selID != "a1" {
		t.Errorf("after j j: selected %q, want a1", c.selID)
	}
	c.key(key{keyRune, 'k'})

	// m opens the note prompt; Esc cancels it.
	c.key(key{keyRune, 'm'})
	if c.prompt == nil || c.prompt.outcome != record.Misread || c.prompt.alert != "a2" {
		t.Fatalf("after m: prompt %+v", c.prompt)
	}
	c.key(key{kind: keyEsc})
	if c.prompt != nil || !strings.Contains(c.msg, "Cancelled") {
		t.Errorf("after Esc: prompt %+v, message %q", c.prompt, c.msg)
	}

	// c, a note with a typo fixed, Enter.
	c.key(key{keyRune, 'c'})
	for _, k := range parseKeys([]byte("q jx\x7fk to 5th")) { // q is text here, not quit
		if a := c.key(k); a.quit {
			t.Fatal("q in a note quit")
		}
	}
	f := c.render(120, 40, now)
	if txt := screenText(f); !strings.Contains(txt, "NEW222 confirmed — note (Enter to send, Esc to cancel): q jk to 5th█") {
		t.Errorf("prompt line missing:\n%s", txt)
	}
	a := c.key(key{kind: keyEnter})
	want := disposeReq{alert: "a2", plate: "NEW222", outcome: record.Confirmed, note: "q jk to 5th"}
	if a.dispose == nil || *a.dispose != want {
		t.Fatalf("Enter: got %+v, want %+v", a.dispose, want)
	}
	c.disposed(*a.dispose, record.Disposition{Alert: "a2", Outcome: record.Confirmed, By: "olive", Time: record.Millis(now)}, nil)
	if got := alertIDs(c); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("alerts after disposal: got %v, want [a1]", got)
	}
	if want := "Recorded: NEW222 confirmed by olive at 08:00:00."; c.msg != want {
		t.Errorf("message: got %q, want %q", c.msg, want)
	}
	// Our own disposition event comes back: nothing more to say.
	c.apply(ctl.Event{Kind: ctl.KindDisposition, Disposition: &record.Disposition{Alert: "a2", By: "olive"}})
	if !strings.HasPrefix(c.msg, "Recorded") {
		t.Errorf("message after own event: %q", c.msg)
	}
	// Another console disposes of a1.
	c.apply(ctl.Event{Kind: ctl.KindDisposition, Disposition: &record.Disposition{Alert: "a1", By: "sue", Outcome: record.NotWanted}})
	if len(c.alerts) != 0 || c.selID != "" || c.msg != "Alert OLD111 was disposed of by sue: not wanted any more." {
		t.Errorf("after another's disposition: %d alerts, selected %q, message %q", len(c.alerts), c.selID, c.msg)
	}
	// With nothing selected, an outcome key says so.
	c.key(key{keyRune, 'd'})
	if c.prompt != nil || !c.msgErr {
		t.Errorf("d with no alert: prompt %+v, message %q", c.prompt, c.msg)
	}
	if a := c.key(key{keyRune, 'q'}); !a.quit {
		t.Error("q did not quit")
	}
}

func TestConsoleDisposeFailed(t *testing.T) {
	c := &console{}
	c.open([]ctl.Event{testAlert("a1", "ABC123", time.Now())})
	c.disposed(disposeReq{alert: "a1", plate: "ABC123"}, record.Disposition{}, fmt.Errorf("ctl: alert.dispose: disk full"))
	if len(c.alerts) != 1 || !c.msgErr || !strings.Contains(c.msg, "NOT recorded for ABC123") {
		t.Errorf("got %d alerts, message %q; want the alert kept and an error", len(c.alerts), c.msg)
	}
}

func alertIDs(c *console) []string {
	var ids []string
	for _, a := range c.alerts {
		ids = append(ids, a.Alert.ID)
	}
	return ids
}

func TestRender(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.Local)
	c := &console{
		sess: ctl.Session{User: "olive", Role: ctl.RoleOfficer, Purpose: "patrol", Case: "C-9"},
		status: ctl.Status{Device: "unit-7", Firmware: "1.2.3", Warnings: []string{"no GPS fix"},
			HotList: ctl.HotListStatus{Version: "2026-11-27.1", Issued: record.Millis(now.Add(-3*time.Hour - 5*time.Minute))}},
	}
	for i := range 12 {
		c.apply(ctl.Event{Kind: ctl.KindRead, Read: &record.Read{Plate: fmt.Sprintf("READ%02d", i), Confidence: 88.5, Frames: 4,
			Time: record.Millis(now)}, CropPath: fmt.Sprintf("/run/alprd/crops/r%d.jpg", i)})
	}
	c.apply(ctl.Event{Kind: ctl.KindDropped, Dropped: 7})
	for i := range 5 {
		c.apply(testAlert(fmt.Sprintf("a%d", i), fmt.Sprintf("HOT%d\x1b[2J", i), now))
	}
	for _, size := range [][2]int{{120, 40}, {80, 24}, {60, 16}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			f := c.render(w, h, now)
			if len(f.rows) != h {
				t.Fatalf("got %d rows, want %d", len(f.rows), h)
			}
			for i, r := range f.rows {
				if n := utf8.RuneCountInString(r.text); n > r.width || r.width > w {
					t.Errorf("row %d: %d columns in %d, screen %d: %q", i, n, r.width, w, r.text)
				}
				if strings.ContainsAny(r.text, "\x1b\a\r\n") {
					t.Errorf("row %d holds control characters: %q", i, r.text)
				}
			}
			txt := screenText(f)
			for _, want := range []string{"ALPR unit-7 │ olive (officer)", "WARNING: no GPS fix", "ALERTS: 5 open", Banner, "READ11"} {
				if !strings.Contains(txt, want) {
					t.Errorf("%q missing:\n%s", want, txt)
				}
			}
			if w >= 80 {
				for _, want := range []string{
					"hot list 2026-11-27.1 (age 3h05m)",
					"read HOT0?[2J (91%, 5 frames)  vs  hot list HOT0?[2J (CA)",
					"SV stolen vehicle · priority 1 · match tolerant, score 0.87",
					"reason: stolen at gunpoint · case 2026-0042",
					"crop: /run/alprd/crops/a0.jpg",
					"7 reads not shown",
					"/run/alprd/crops/r11.jpg",
				} {
					if !strings.Contains(txt, want) {
						t.Errorf("%q missing:\n%s", want, txt)
					}
				}
			}
		})
	}
	// Selecting the oldest alert scrolls it into view.
	for range 4 {
		c.key(key{kind: keyDown})
	}
	if txt := screenText(c.render(80, 24, now)); !strings.Contains(txt, "▶") || !strings.Contains(txt, "HOT0") {
		t.Errorf("selected alert not shown:\n%s", txt)
	}
	// With images, the selected alert's lines make room for the crop.
	c.images = true
	f := c.render(120, 40, now)
	if f.img == nil || f.img.alert.Alert.ID != c.selID || f.img.col+f.img.cols-1 > 120 {
		t.Fatalf("image placement: %+v", f.img)
	}
	r := f.rows[f.img.row-1]
	if r.width >= f.img.col-1 || utf8.RuneCountInString(r.text) > r.width {
		t.Errorf("the alert's row overlaps the image: width %d, image at column %d", r.width, f.img.col)
	}
	if txt := screenText(c.render(120, 40, now)); !strings.Contains(txt, "purpose: patrol │ case C-9 │ fw 1.2.3") {
		t.Errorf("header:\n%s", txt)
	}
	if txt := screenText(c.render(40, 10, now)); !strings.Contains(txt, "Terminal too small") {
		t.Errorf("tiny terminal:\n%s", txt)
	}
}

func TestScreenDraw(t *testing.T) {
	now := time.Now()
	c := &console{images: true}
	ev := testAlert("a1", "ABC123", now)
	ev.Alert.Read.Crop = tinyJPEG(t)
	c.open([]ctl.Event{ev})
	var b bytes.Buffer
	s := &screen{out: &b, proto: imgKitty, crops: map[string]*crop{}}
	s.draw(c.render(120, 40, now), 120, true)
	first := b.String()
	if !strings.Contains(first, "\x1b_Ga=T,f=100") || !strings.Contains(first, kittyDelete) {
		t.Errorf("first frame: no kitty image sent")
	}
	if txt := sgr.ReplaceAllString(first, ""); !strings.Contains(txt, Banner) {
		t.Errorf("first frame: no banner")
	}
	b.Reset()
	c.apply(ctl.Event{Kind: ctl.KindRead, Read: &record.Read{Plate: "XYZ"}})
	s.draw(c.render(120, 40, now), 120, false)
	if strings.Contains(b.String(), "\x1b_G") {
		t.Error("image sent again though it did not move")
	}
	b.Reset()
	s.draw(c.render(100, 40, now), 100, true)
	if !strings.Contains(b.String(), "\x1b_Ga=T") {
		t.Error("image not sent again after a resize")
	}

	b.Reset()
	s = &screen{out: &b, proto: imgITerm, crops: map[string]*crop{}}
	s.draw(c.render(120, 40, now), 120, true)
	if !strings.Contains(b.String(), "\x1b]1337;File=inline=1;size=") {
		t.Error("iTerm2: no image sent")
	}
	b.Reset()
	s = &screen{out: &b, proto: imgNone, crops: map[string]*crop{}}
	s.draw(c.render(120, 40, now), 120, true)
	if strings.Contains(b.String(), "\x1b_G") || strings.Contains(b.String(), "1337") {
		t.Error("image sent to a terminal without images")
	}
}

func TestWriteKitty(t *testing.T) {
	data := bytes.Repeat([]byte{0xa5}, 7000) // 9336 base64 bytes: 3 chunks
	var b bytes.Buffer
	writeKitty(&b, data, 20, 5)
	chunks := regexp.MustCompile("\x1b_G([^;]*);([^\x1b]*)\x1b\\\\").FindAllStringSubmatch(b.String(), -1)
	if len(chunks) != 3 {
		t.Fatalf("got %d chunks, want 3", len(chunks))
	}
	var all string
	for i, c := range chunks {
		more := "m=1"
		if i == 2 {
			more = "m=0"
		}
		if !strings.HasSuffix(c[1], more) || len(c[2]) > 4096 {
			t.Errorf("chunk %d: control %q, %d bytes", i, c[1], len(c[2]))
		}
		all += c[2]
	}
	if !strings.HasPrefix(chunks[0][1], "a=T,f=100,t=d,c=20,r=5,C=1,q=2") {
		t.Errorf("first chunk's control: %q", chunks[0][1])
	}
	if got, err := base64.StdEncoding.DecodeString(all); err != nil || !bytes.Equal(got, data) {
		t.Errorf("payload does not decode back: %v", err)
	}
}

func TestImageProtocol(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"TERM": "xterm-256color"}, imgNone},
		{map[string]string{"TERM": "xterm-kitty"}, imgKitty},
		{map[string]string{"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, imgKitty},
		{map[string]string{"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, imgITerm},
		{map[string]string{"TERM": "tmux-256color", "KITTY_WINDOW_ID": "3"}, imgNone},
		{map[string]string{"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}, imgNone},
	} {
		if got := imageProtocol(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.env, got, tc.want)
		}
	}
}

// BenchmarkRenderDraw measures one frame of a busy console, as sent to the
// terminal.
func BenchmarkRenderDraw(b *testing.B) {
	now := time.Now()
	c := &console{sess: ctl.Session{User: "olive", Role: ctl.RoleOfficer, Purpose: "patrol"}}
	for i := range 50 {
		c.apply(ctl.Event{Kind: ctl.KindRead, Read: &record.Read{Plate: fmt.Sprintf("READ%02d", i), Time: record.Millis(now)}})
	}
	for i := range 5 {
		c.apply(testAlert(fmt.Sprint(i), fmt.Sprintf("HOT%d", i), now))
	}
	var buf bytes.Buffer
	s := &screen{out: &buf, proto: imgNone, crops: map[string]*crop{}}
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		s.draw(c.render(120, 40, now), 120, false)
	}
	b.ReportMetric(float64(buf.Len()), "bytes/frame")
}
