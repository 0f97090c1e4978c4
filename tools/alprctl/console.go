package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"alprd/firmware/ctl"
	"alprd/firmware/record"
)

// The console's model: events and keys go in, actions and frames come out.
// It does no I/O, so that it is tested without a terminal (tty.go drives
// it).

// Banner heads every alert: a hit is a possible match only.
const Banner = "POSSIBLE MATCH — VERIFY BEFORE ACTING"

const maxReads = 200 // reads kept for the reads panel

// Outcome keys, in the order record.Outcomes lists them.
var outcomeKeys = []struct {
	key     rune
	outcome string
	label   string
}{
	{'c', record.Confirmed, "confirmed"},
	{'m', record.Misread, "misread"},
	{'n', record.NotWanted, "not wanted any more"},
	{'d', record.Dismissed, "dismissed"},
}

func outcomeLabel(outcome string) string {
	for _, o := range outcomeKeys {
		if o.outcome == outcome {
			return o.label
		}
	}
	return outcome
}

type console struct {
	sess   ctl.Session
	status ctl.Status
	images bool // the terminal shows images: reserve room for the crop

	alerts  []ctl.Event // open alerts, newest first
	reads   []ctl.Event // newest first
	selID   string      // the selected alert's ID
	dropped int         // reads lost because the console was slow

	prompt *notePrompt // set while the note is being typed
	msg    string      // the status line
	msgErr bool
}

type notePrompt struct {
	alert, plate, outcome string
	note                  []rune
}

// disposeReq is what the officer decided about an alert.
type disposeReq struct {
	alert, plate, outcome, note string
}

// action is what a key asks of the terminal loop.
type action struct {
	quit    bool
	redraw  bool // repaint everything (Ctrl-L)
	dispose *disposeReq
}

// open sets the open alerts at the start of the stream, oldest first.
func (c *console) open(evs []ctl.Event) {
	for _, ev := range evs {
		c.addAlert(ev)
	}
	if len(c.alerts) > 0 {
		c.selID = c.alerts[0].Alert.ID // the newest
	}
}

// apply takes one live event; true when it is a new alert (ring the bell).
func (c *console) apply(ev ctl.Event) bool {
	switch ev.Kind {
	case ctl.KindRead:
		if ev.Read == nil {
			return false
		}
		ev.Read.Crop = nil // the path is shown, the bytes are not kept
		c.reads = slices.Insert(c.reads, 0, ev)
		if len(c.reads) > maxReads {
			c.reads = c.reads[:maxReads]
		}
	case ctl.KindAlert:
		return c.addAlert(ev)
	case ctl.KindDisposition:
		if d := ev.Disposition; d != nil {
			if a, ok := c.removeAlert(d.Alert); ok {
				c.say(false, "Alert %s was disposed of by %s: %s.", a.Alert.Read.Plate, d.By, outcomeLabel(d.Outcome))
			}
		}
	case ctl.KindDropped:
		c.dropped += ev.Dropped
	}
	return false
}

func (c *console) addAlert(ev ctl.Event) bool {
	if ev.Alert == nil || slices.ContainsFunc(c.alerts, func(a ctl.Event) bool { return a.Alert.ID == ev.Alert.ID }) {
		return false
	}
	c.alerts = slices.Insert(c.alerts, 0, ev)
	if c.selID == "" {
		c.selID = ev.Alert.ID
	}
	return true
}

func (c *console) removeAlert(id string) (ctl.Event, bool) {
	i := slices.IndexFunc(c.alerts, func(a ctl.Event) bool { return a.Alert.ID == id })
	if i < 0 {
		return ctl.Event{}, false
	}
	a := c.alerts[i]
	c.alerts = slices.Delete(c.alerts, i, i+1)
	if c.selID == id {
		c.selID = ""
		if len(c.alerts) > 0 {
			c.selID = c.alerts[min(i, len(c.alerts)-1)].Alert.ID
		}
	}
	if c.prompt != nil && c.prompt.alert == id {
		c.prompt = nil
	}
	return a, true
}

// selected returns the index of the selected alert, -1 when none.
func (c *console) selected() int {
	return slices.IndexFunc(c.alerts, func(a ctl.Event) bool { return a.Alert.ID == c.selID })
}

func (c *console) say(isErr bool, format string, a ...any) {
	c.msg, c.msgErr = fmt.Sprintf(format, a...), isErr
}

// key handles one key press.
func (c *console) key(k key) action {
	if k.kind == keyCtrlC {
		return action{quit: true}
	}
	if k.kind == keyCtrlL {
		return action{redraw: true}
	}
	if p := c.prompt; p != nil {
		switch k.kind {
		case keyEnter:
			c.prompt = nil
			c.say(false, "Sending: %s %s...", p.plate, outcomeLabel(p.outcome))
			return action{dispose: &disposeReq{alert: p.alert, plate: p.plate, outcome: p.outcome, note: strings.TrimSpace(string(p.note))}}
		case keyEsc:
			c.prompt = nil
			c.say(false, "Cancelled: nothing recorded for %s.", p.plate)
		case keyBackspace:
			if len(p.note) > 0 {
				p.note = p.note[:len(p.note)-1]
			}
		case keyRune:
			if len(p.note) < 500 {
				p.note = append(p.note, k.r)
			}
		}
		return action{}
	}
	i := c.selected()
	switch {
	case k.kind == keyUp || k.kind == keyRune && k.r == 'k':
		if i > 0 {
			c.selID = c.alerts[i-1].Alert.ID
		}
	case k.kind == keyDown || k.kind == keyRune && k.r == 'j':
		if i >= 0 && i < len(c.alerts)-1 {
			c.selID = c.alerts[i+1].Alert.ID
		}
	case k.kind == keyRune && k.r == 'q':
		return action{quit: true}
	case k.kind == keyRune:
		for _, o := range outcomeKeys {
			if o.key != k.r {
				continue
			}
			if i < 0 {
				c.say(true, "No alert selected.")
				break
			}
			a := c.alerts[i].Alert
			c.prompt = &notePrompt{alert: a.ID, plate: a.Read.Plate, outcome: o.outcome}
			c.msg = ""
		}
	}
	return action{}
}

// disposed records the unit's answer to a disposition.
func (c *console) disposed(req disposeReq, d record.Disposition, err error) {
	if err != nil {
		c.say(true, "NOT recorded for %s: %v", req.plate, err)
		return
	}
	c.removeAlert(req.alert)
	c.say(false, "Recorded: %s %s by %s at %s.", req.plate, outcomeLabel(d.Outcome), d.By, time.Time(d.Time).Local().Format("15:04:05"))
}

// Frames.

// row is one screen line: plain text fitted to width, and an SGR style.
type row struct {
	text  string
	style string
	width int // the text's room; the row is blanked to the right edge unless narrowed for an image
}

// placement is where the selected alert's crop goes (1-based cells).
type placement struct {
	alert      ctl.Event
	row, col   int
	rows, cols int
}

type frame struct {
	rows []row // exactly the screen's height
	img  *placement
}

// SGR styles.
const (
	styleHeader  = "\x1b[7m"
	styleWarn    = "\x1b[1;33m"
	styleTitle   = "\x1b[1m"
	styleAlert   = "\x1b[1;31m"
	styleSel     = "\x1b[1;37;41m"
	styleDim     = "\x1b[2m"
	styleErr     = "\x1b[1;31m"
	styleOK      = "\x1b[1;32m"
	stylePrompt  = "\x1b[1;36m"
	imgCols      = 32
	alertBlock   = 6 // lines per alert, the blank separator included
	minW, minH   = 60, 16
	timeOfDay    = "15:04:05"
	noteHelpText = " (Enter to send, Esc to cancel): "
)

// render lays out the screen for a w x h terminal at now.
func (c *console) render(w, h int, now time.Time) frame {
	f := frame{rows: make([]row, h)}
	set := func(i int, style, text string) {
		if i >= 0 && i < h {
			f.rows[i] = row{text: fit(text, w), style: style, width: w}
		}
	}
	if w < minW || h < minH {
		set(0, styleWarn, fmt.Sprintf("Terminal too small: %dx%d, need %dx%d.", w, h, minW, minH))
		return f
	}
	// Header.
	st := c.status
	hl := "hot list " + orDash(st.HotList.Version)
	if age, ok := hotlistAge(st.HotList, now); ok {
		hl += " (age " + fmtAge(age) + ")"
	}
	hdr := fmt.Sprintf(" ALPR %s │ %s (%s) │ %s │ purpose: %s", clean(orDash(st.Device)), clean(c.sess.User), c.sess.Role,
		clean(hl), clean(c.sess.Purpose))
	if c.sess.Case != "" {
		hdr += " │ case " + clean(c.sess.Case)
	}
	hdr += " │ fw " + clean(orDash(st.Firmware))
	set(0, styleHeader, pad(hdr, w))
	if len(st.Warnings) > 0 {
		set(1, styleWarn, " WARNING: "+clean(strings.Join(st.Warnings, "; ")))
	}

	// Footer: the status or prompt line, and the keys.
	switch {
	case c.prompt != nil:
		p := c.prompt
		set(h-2, stylePrompt, fmt.Sprintf(" %s %s — note%s%s█", p.plate, outcomeLabel(p.outcome), noteHelpText, clean(string(p.note))))
	case c.msg != "":
		style := styleOK
		if c.msgErr {
			style = styleErr
		}
		set(h-2, style, " "+clean(c.msg))
	}
	set(h-1, styleDim, " ↑↓ jk select  c confirmed  m misread  n not wanted  d dismissed  q quit")

	// Reads, above the footer.
	nReads := min(max(h/4, 3), 10)
	readsTop := h - 2 - nReads - 1
	title := fmt.Sprintf("READS (%d shown, newest first)", min(len(c.reads), nReads))
	if c.dropped > 0 {
		title += fmt.Sprintf(" — %d reads not shown: the console fell behind", c.dropped)
	}
	set(readsTop, styleTitle, title)
	for i := 0; i < nReads && i < len(c.reads); i++ {
		r := c.reads[i]
		set(readsTop+1+i, "", fmt.Sprintf(" %s  %-10s %5.1f%%  %2d frames  %s",
			time.Time(r.Read.Time).Local().Format(timeOfDay), clean(r.Read.Plate), r.Read.Confidence, r.Read.Frames, clean(orDash(r.CropPath))))
	}

	// Alerts, between header and reads.
	top := 2
	avail := readsTop - 1 - top - 1 // rows for blocks, a blank above the reads
	sel := c.selected()
	title = fmt.Sprintf("ALERTS: %d open", len(c.alerts))
	n := max(1, (avail+1)/alertBlock)
	first := 0
	if sel >= n {
		first = sel - n + 1
	}
	if len(c.alerts) > n {
		title += fmt.Sprintf(" (%d to %d shown; ↑/↓ for more)", first+1, min(first+n, len(c.alerts)))
	}
	set(top, styleTitle, title)
	if len(c.alerts) == 0 {
		set(top+1, styleDim, "  No open alerts.")
	}
	for k := 0; k < n && first+k < len(c.alerts); k++ {
		a := c.alerts[first+k]
		y := top + 1 + k*alertBlock
		lines := alertLines(a, first+k == sel)
		width := w
		if first+k == sel && c.images && w >= minW+imgCols {
			width = w - imgCols - 1
			f.img = &placement{alert: a, row: y + 1, col: width + 2, rows: len(lines), cols: imgCols}
		}
		for j, l := range lines {
			style := ""
			if j == 0 {
				style = styleAlert
				if first+k == sel {
					style = styleSel
				}
			}
			if y+j < readsTop-1 {
				f.rows[y+j] = row{text: fit(l, width), style: style, width: width}
			}
		}
	}
	return f
}

// alertLines are an alert's lines in the alerts panel.
func alertLines(ev ctl.Event, selected bool) []string {
	a := ev.Alert
	mark := "  "
	if selected {
		mark = "▶ "
	}
	e, r := a.Entry, a.Read
	read := fmt.Sprintf("    read %s (%.0f%%, %d frames)  vs  hot list %s", clean(r.Plate), r.Confidence, r.Frames, clean(plateState(e.Plate, e.State)))
	if a.Retro {
		read += "  [found in recent reads]"
	}
	match := fmt.Sprintf("match %s, score %.2f", clean(a.Match), a.Score)
	if a.Matched != "" && a.Matched != r.Plate {
		match += " (as " + clean(a.Matched) + ")"
	}
	return []string{
		fmt.Sprintf("%s%s  %s", mark, time.Time(a.Time).Local().Format(timeOfDay), Banner),
		read,
		fmt.Sprintf("    %s %s · priority %d · %s", clean(e.Type), typeName(e.Type), e.Priority, match),
		fmt.Sprintf("    reason: %s · case %s", clean(orDash(e.Reason)), clean(orDash(e.Case))),
		"    crop: " + clean(orDash(ev.CropPath)),
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fit cuts s to w columns (one column per rune: the console shows ASCII
// data and a few single-width symbols).
func fit(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	if w <= 1 {
		return string([]rune(s)[:max(w, 0)])
	}
	return string([]rune(s)[:w-1]) + "…"
}

// pad fills s with spaces to w columns.
func pad(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// Keys.

type keyKind int

const (
	keyRune keyKind = iota
	keyUp
	keyDown
	keyEnter
	keyEsc
	keyBackspace
	keyCtrlC
	keyCtrlL
)

type key struct {
	kind keyKind
	r    rune
}

// parseKeys splits what the terminal sent (in raw mode) into keys. A lone
// ESC at the end of the input is the Esc key; escape sequences other than
// the arrows are skipped.
func parseKeys(b []byte) []key {
	var ks []key
	for len(b) > 0 {
		switch c := b[0]; {
		case c == 0x1b:
			if len(b) == 1 || (b[1] != '[' && b[1] != 'O') {
				ks = append(ks, key{kind: keyEsc})
				b = b[1:]
				continue
			}
			// CSI or SS3: parameters, then a final byte 0x40..0x7e.
			i := 2
			for i < len(b) && (b[i] < 0x40 || b[i] > 0x7e) {
				i++
			}
			if i == len(b) {
				return ks // cut short: drop it
			}
			switch b[i] {
			case 'A':
				ks = append(ks, key{kind: keyUp})
			case 'B':
				ks = append(ks, key{kind: keyDown})
			}
			b = b[i+1:]
		case c == '\r' || c == '\n':
			ks = append(ks, key{kind: keyEnter})
			b = b[1:]
		case c == 0x7f || c == 0x08:
			ks = append(ks, key{kind: keyBackspace})
			b = b[1:]
		case c == 0x03:
			ks = append(ks, key{kind: keyCtrlC})
			b = b[1:]
		case c == 0x0c:
			ks = append(ks, key{kind: keyCtrlL})
			b = b[1:]
		case c < 0x20:
			b = b[1:]
		default:
			r, n := utf8.DecodeRune(b)
			if r != utf8.RuneError && r >= 0x20 && (r < 0x80 || r >= 0xa0) {
				ks = append(ks, key{kind: keyRune, r: r})
			}
			b = b[n:]
		}
	}
	return ks
}
