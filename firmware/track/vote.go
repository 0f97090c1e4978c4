package track

import (
	"cmp"
	"slices"

	"alprd/ocr"
)

// Vote weights, relative to a reading of the voted length.
const (
	altWeight   = 0.5 // an alternative candidate of a reading, times its confidence
	otherWeight = 0.5 // a reading of another length, aligned to the vote
	maxMisalign = 0.5 // normDist beyond which another-length reading is ignored
	maxOptions  = 4   // characters per position considered for candidates
)

// voted is the outcome of a vote.
type voted struct {
	text  string
	conf  float64
	cands []ocr.Candidate
}

// vote votes reads into one text; see the package documentation.
func vote(reads []reading, maxCands int) voted {
	var maxConf float64
	for _, r := range reads {
		if r.text != "" {
			maxConf = max(maxConf, r.conf)
		}
	}
	// The length: most confidence among the confident readings; then more
	// readings; then longer.
	type lenVote struct {
		w float64
		n int
	}
	byLen := map[int]*lenVote{}
	for _, r := range reads {
		if r.text == "" || r.conf < maxConf/2 {
			continue
		}
		lv := byLen[len(r.text)]
		if lv == nil {
			lv = new(lenVote)
			byLen[len(r.text)] = lv
		}
		lv.w += weight(r.conf)
		lv.n++
	}
	L := 0
	var bestLV lenVote
	for l, lv := range byLen {
		if L == 0 || cmp.Or(cmp.Compare(lv.w, bestLV.w), cmp.Compare(lv.n, bestLV.n), cmp.Compare(l, L)) > 0 {
			L, bestLV = l, *lv
		}
	}
	if L == 0 {
		return voted{}
	}

	// votes ranks characters (readings plus their alternatives); read counts
	// only what the readings themselves say, and gives the confidence: a
	// reader's alternatives rank the runners-up but do not make a reading
	// less sure of itself.
	votes := make([][256]float64, L)
	read := make([][256]float64, L)
	var sumConf float64
	var nFull int
	for _, r := range reads {
		if len(r.text) != L {
			continue
		}
		w := weight(r.conf)
		for i := 0; i < L; i++ {
			votes[i][r.text[i]] += w
			read[i][r.text[i]] += w
		}
		sumConf += r.conf
		nFull++
		// An alternative character counts once per reading, at the weight of
		// the best candidate that has it: many candidates sharing one
		// alternative must not outvote the reading itself.
		alt := make([][256]float64, L)
		for _, c := range r.cands {
			if len(c.Text) != L || c.Text == r.text {
				continue
			}
			aw := altWeight * weight(clampConf(c.Confidence))
			for i := 0; i < L; i++ {
				if c.Text[i] != r.text[i] {
					alt[i][c.Text[i]] = max(alt[i][c.Text[i]], aw)
				}
			}
		}
		for i := range alt {
			for ch, aw := range alt[i] {
				votes[i][ch] += aw
			}
		}
	}
	ref := argmax(votes)
	aligned := map[string][]int{} // nil: too unlike ref
	for _, r := range reads {
		if r.text == "" || len(r.text) == L {
			continue
		}
		at, ok := aligned[r.text]
		if !ok {
			var d float64
			if at, d = align(ref, r.text); d/float64(max(L, len(r.text))) > maxMisalign {
				at = nil
			}
			aligned[r.text] = at
		}
		w := otherWeight * weight(r.conf)
		for i, j := range at {
			if j >= 0 {
				votes[i][r.text[j]] += w
				read[i][r.text[j]] += w
			}
		}
	}
	text := argmax(votes)
	meanConf := sumConf / float64(nFull)

	// Per-position options, best first, as shares of the position's votes.
	opts := make([][]option, L)
	prob := 1.0
	for i := range votes {
		var total float64
		for _, w := range votes[i] {
			total += w
		}
		for c, w := range votes[i] {
			if w > 0 {
				opts[i] = append(opts[i], option{byte(c), w / total})
			}
		}
		slices.SortFunc(opts[i], func(a, b option) int {
			return cmp.Or(cmp.Compare(b.share, a.share), cmp.Compare(a.c, b.c))
		})
		opts[i] = opts[i][:min(len(opts[i]), maxOptions)]
		var readTotal float64
		for _, w := range read[i] {
			readTotal += w
		}
		if readTotal > 0 {
			prob *= read[i][text[i]] / readTotal
		}
	}
	v := voted{text: text, conf: meanConf * prob}
	v.cands = candidates(text, v.conf, meanConf, opts, reads, L, maxCands)
	return v
}

type option struct {
	c     byte
	share float64
}

// candidates returns the voted text first, then the best texts of length L
// by the product of their characters' shares and the readings of other
// lengths by their share of the weight, at most n in all.
func candidates(text string, conf, meanConf float64, opts [][]option, reads []reading, L, n int) []ocr.Candidate {
	type partial struct {
		b []byte
		p float64
	}
	beam := []partial{{nil, 1}}
	for i := range opts {
		var next []partial
		for _, b := range beam {
			for _, o := range opts[i] {
				next = append(next, partial{append(b.b[:len(b.b):len(b.b)], o.c), b.p * o.share})
			}
		}
		slices.SortFunc(next, func(a, b partial) int {
			return cmp.Or(cmp.Compare(b.p, a.p), slices.Compare(a.b, b.b))
		})
		beam = next[:min(len(next), n)]
	}
	out := []ocr.Candidate{{Text: text, Confidence: conf}}
	for _, b := range beam {
		if s := string(b.b); s != text {
			out = append(out, ocr.Candidate{Text: s, Confidence: meanConf * b.p})
		}
	}
	// Other lengths: each distinct text, by its share of all the weight.
	var total float64
	for _, r := range reads {
		if r.text != "" {
			total += weight(r.conf)
		}
	}
	type other struct {
		w, conf float64
		n       int
	}
	others := map[string]*other{}
	for _, r := range reads {
		if r.text == "" || len(r.text) == L {
			continue
		}
		o := others[r.text]
		if o == nil {
			o = new(other)
			others[r.text] = o
		}
		o.w += weight(r.conf)
		o.conf += r.conf
		o.n++
	}
	for s, o := range others {
		out = append(out, ocr.Candidate{Text: s, Confidence: o.conf / float64(o.n) * o.w / total})
	}
	slices.SortFunc(out[1:], func(a, b ocr.Candidate) int {
		return cmp.Or(cmp.Compare(b.Confidence, a.Confidence), cmp.Compare(a.Text, b.Text))
	})
	return slices.Clip(out[:min(len(out), n)])
}

// weight is a reading's vote: its confidence over 100, never quite zero so
// that an engine that reports no confidence still votes.
func weight(conf float64) float64 { return max(conf, 1) / 100 }

// argmax returns the text made of each position's most voted character;
// ties go to the lower byte.
func argmax(votes [][256]float64) string {
	b := make([]byte, len(votes))
	for i := range votes {
		best := 0
		for c, w := range votes[i] {
			if w > votes[i][best] {
				best = c
			}
		}
		b[i] = byte(best)
	}
	return string(b)
}
