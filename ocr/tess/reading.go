package tess

import (
	"sort"
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

// page is what matters of Tesseract's result for a single-line read.
type page struct {
	words []string
	syms  []symbol
}

// sym is one recognised symbol.
type sym struct {
	text      string
	conf      float64 // 0..100
	box       [4]int  // x0, y0, x1, y1 (exclusive) in the image
	wordStart bool
	choices   []alt // Tesseract's choices for the symbol, as it lists them
}

// pageOf groups the symbols of one recognition into words and keeps, of
// each symbol's choices, those other than its text, best first.
func pageOf(ss []sym) page {
	var pg page
	for i, s := range ss {
		if s.wordStart || i == 0 {
			pg.words = append(pg.words, "")
		}
		pg.words[len(pg.words)-1] += s.text
		sy := symbol{text: s.text, conf: s.conf}
		for _, c := range s.choices {
			if c.text != "" && c.text != s.text {
				sy.alts = append(sy.alts, c)
			}
		}
		sort.SliceStable(sy.alts, func(i, j int) bool { return sy.alts[i].conf > sy.alts[j].conf })
		pg.syms = append(pg.syms, sy)
	}
	return pg
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

// pos is one character position of a reading: its allowed choices, best
// first (opts[0] is the chosen character).
type pos struct {
	opts []alt
}

// reading turns a parsed page into a Reading with up to maxCand candidates
// (see positions and rank).
func (pg page) reading(allowed *[256]bool, maxCand int, minAlt float64) ocr.Reading {
	return rank(strings.Join(pg.words, " "), pg.positions(allowed, minAlt), maxCand)
}

// positions returns the character positions of a page. Tesseract runs
// without a whitelist (with one, its LSTM drops a character whose best
// choice is not allowed instead of taking the next best: a plate "7" read as
// "/" vanishes); instead each character takes its most confident choice that
// is allowed, upper-cased, and characters with no allowed choice of at least
// minKeep confidence are dropped. Alternatives below minAlt are dropped.
func (pg page) positions(allowed *[256]bool, minAlt float64) []pos {
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
	return ps
}

// mergePositions combines two readings of the same plate. When they have
// as many characters, they are merged position by position: a choice's
// confidence is the mean of its confidences in both (0 where one lacks it).
// Otherwise the reading of higher mean confidence is kept whole (aligning
// readings of different lengths and keeping what only one saw did worse on
// real plates: the extra character is more often a mark than a character).
func mergePositions(a, b []pos) []pos {
	if len(a) != len(b) {
		if meanConf(b) > meanConf(a) {
			return b
		}
		return a
	}
	out := make([]pos, len(a))
	for i := range a {
		var opts []alt
		for _, src := range [2][]alt{a[i].opts, b[i].opts} {
			for _, o := range src {
				k := 0
				for k < len(opts) && opts[k].text != o.text {
					k++
				}
				if k == len(opts) {
					opts = append(opts, alt{o.text, 0})
				}
				opts[k].conf += o.conf / 2
			}
		}
		sort.SliceStable(opts, func(i, j int) bool { return opts[i].conf > opts[j].conf })
		out[i] = pos{opts: opts}
	}
	return out
}

func meanConf(ps []pos) float64 {
	if len(ps) == 0 {
		return 0
	}
	var s float64
	for _, p := range ps {
		s += p.opts[0].conf
	}
	return s / float64(len(ps))
}

// rank builds a Reading from character positions: the best path comes
// first, then variants that swap characters for their alternatives, ranked
// by mean character confidence, up to maxCand in all.
func rank(raw string, ps []pos, maxCand int) ocr.Reading {
	rd := ocr.Reading{Raw: raw}
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
