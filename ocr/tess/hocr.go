package tess

import (
	"encoding/xml"
	"io"
	"sort"
	"strconv"
	"strings"

	"alprd/ocr"
)

// symbol is one recognised character with Tesseract's alternatives for it.
type symbol struct {
	text string
	conf float64 // 0..100
	alts []alt   // other choices, best first, without text itself
}

type alt struct {
	text string
	conf float64
}

// page is what matters of Tesseract's hOCR output for a single-line read.
type page struct {
	words []string
	wconf []float64 // per word, 0..100
	syms  []symbol
}

// parseHOCR reads the hOCR that Tesseract 5 writes with hocr_char_boxes=1
// and lstm_choice_mode=2: per word an ocrx_word span (title "x_wconf N"),
// per character an ocrx_cinfo span (title "... x_conf N") followed by an
// ocrx_cinfo span with id lstm_choices_* holding one span per choice (title
// "x_confs N"). Parts it does not know are skipped, so older or newer
// layouts degrade to fewer alternatives, not to errors.
func parseHOCR(s string) (page, error) {
	var pg page
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	const (
		kOther = iota
		kWord
		kSym
		kChoices
		kChoice
	)
	var stack []int
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				break
			}
			return pg, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var class, id, title string
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "class":
					class = a.Value
				case "id":
					id = a.Value
				case "title":
					title = a.Value
				}
			}
			k := kOther
			switch {
			case class == "ocrx_word":
				k = kWord
				pg.words = append(pg.words, "")
				pg.wconf = append(pg.wconf, titleNum(title, "x_wconf"))
			case class == "ocrx_cinfo" && strings.HasPrefix(id, "lstm_choices"):
				k = kChoices
			case class == "ocrx_cinfo" && strings.HasPrefix(id, "choice_"):
				k = kChoice
				text.Reset()
			case class == "ocrx_cinfo" && strings.Contains(title, "x_conf "):
				k = kSym
				text.Reset()
				pg.syms = append(pg.syms, symbol{conf: titleNum(title, "x_conf")})
			}
			if k == kChoice && len(pg.syms) > 0 {
				// The choice's confidence; its text comes with the end tag.
				sy := &pg.syms[len(pg.syms)-1]
				sy.alts = append(sy.alts, alt{conf: titleNum(title, "x_confs")})
			}
			stack = append(stack, k)
		case xml.CharData:
			if n := len(stack); n > 0 && (stack[n-1] == kSym || stack[n-1] == kChoice) {
				text.Write(t)
			}
		case xml.EndElement:
			n := len(stack)
			if n == 0 {
				continue
			}
			k := stack[n-1]
			stack = stack[:n-1]
			switch k {
			case kSym:
				sy := &pg.syms[len(pg.syms)-1]
				sy.text = strings.TrimSpace(text.String())
				if len(pg.words) > 0 {
					pg.words[len(pg.words)-1] += sy.text
				}
			case kChoice:
				if len(pg.syms) > 0 {
					sy := &pg.syms[len(pg.syms)-1]
					if m := len(sy.alts); m > 0 {
						sy.alts[m-1].text = strings.TrimSpace(text.String())
					}
				}
			}
		}
	}
	// Keep alternatives other than the chosen text, best first.
	for i := range pg.syms {
		sy := &pg.syms[i]
		as := sy.alts[:0]
		for _, a := range sy.alts {
			if a.text != "" && a.text != sy.text {
				as = append(as, a)
			}
		}
		sort.SliceStable(as, func(i, j int) bool { return as[i].conf > as[j].conf })
		sy.alts = as
	}
	return pg, nil
}

// titleNum returns the number after key in an hOCR title
// ("bbox 1 2 3 4; x_conf 97.5"), or 0.
func titleNum(title, key string) float64 {
	for _, part := range strings.Split(title, ";") {
		f := strings.Fields(part)
		if len(f) >= 2 && f[0] == key {
			v, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				return v
			}
		}
	}
	return 0
}

// minKeep is the smallest confidence of a character's best allowed choice
// that keeps the character.
const minKeep = 20

// substRatio: a character read as something outside the whitelist is kept
// as its best allowed alternative only when that is at least this fraction
// as confident.
const substRatio = 0.85

// sameShape are the lower-case letters that look like their capitals.
const sameShape = "cosuvwxz"

// allowedSet is the set of bytes of whitelist that are upper-case letters or
// digits.
func allowedSet(whitelist string) *[256]bool {
	var a [256]bool
	for _, r := range strings.ToUpper(whitelist) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			a[r] = true
		}
	}
	return &a
}

// clean keeps the upper-cased letters and digits of s.
func clean(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// reading turns a parsed page into a Reading with up to maxCand candidates.
// Tesseract runs without a whitelist (with one, its LSTM drops a character
// whose best choice is not allowed instead of taking the next best: a plate
// "7" read as "/" vanishes); instead each character takes its most confident
// choice that is allowed, upper-cased, and characters with no allowed choice
// of at least minKeep confidence are dropped. The best path comes first, then
// variants that swap characters for allowed alternatives of at least minAlt
// confidence, ranked by mean character confidence.
func (pg page) reading(allowed *[256]bool, maxCand int, minAlt float64) ocr.Reading {
	var rd ocr.Reading
	rd.Raw = strings.Join(pg.words, " ")
	type pos struct {
		opts []alt // opts[0] is the chosen character
	}
	var ps []pos
	for _, sy := range pg.syms {
		var opts []alt
		add := func(text string, conf float64) {
			t := strings.TrimSpace(text)
			if len(t) == 1 && strings.IndexByte(sameShape, t[0]) >= 0 {
				t = strings.ToUpper(t)
			}
			if len(t) != 1 || !allowed[t[0]] {
				return
			}
			for i := range opts {
				if opts[i].text == t {
					opts[i].conf = max(opts[i].conf, conf)
					return
				}
			}
			opts = append(opts, alt{t, conf})
		}
		add(sy.text, sy.conf)
		for _, a := range sy.alts {
			add(a.text, a.conf)
		}
		sort.SliceStable(opts, func(i, j int) bool { return opts[i].conf > opts[j].conf })
		if len(opts) == 0 || opts[0].conf < minKeep {
			continue
		}
		if opts[0].conf < sy.conf*substRatio {
			// Tesseract was surer of a character outside the set: a mark,
			// not a character.
			continue
		}
		p := pos{opts: opts[:1]}
		for _, o := range opts[1:] {
			if o.conf >= minAlt {
				p.opts = append(p.opts, o)
			}
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return rd
	}
	// Beam search over the positions, keeping the maxCand best partial
	// strings by summed confidence; the chosen path is always kept.
	type path struct {
		text string
		sum  float64
	}
	beam := []path{{}}
	var best path
	for _, p := range ps {
		best = path{best.text + p.opts[0].text, best.sum + p.opts[0].conf}
		next := make([]path, 0, len(beam)*len(p.opts))
		for _, b := range beam {
			for _, o := range p.opts {
				next = append(next, path{b.text + o.text, b.sum + o.conf})
			}
		}
		sort.SliceStable(next, func(i, j int) bool { return next[i].sum > next[j].sum })
		if len(next) > maxCand {
			next = next[:maxCand]
		}
		beam = next
	}
	n := float64(len(ps))
	rd.Text = best.text
	rd.Confidence = best.sum / n
	rd.Candidates = append(rd.Candidates, ocr.Candidate{Text: best.text, Confidence: rd.Confidence})
	for _, b := range beam {
		if len(rd.Candidates) == maxCand {
			break
		}
		if b.text != best.text {
			rd.Candidates = append(rd.Candidates, ocr.Candidate{Text: b.text, Confidence: b.sum / n})
		}
	}
	return rd
}
