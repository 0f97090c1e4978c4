package tess

import (
	_ "embed"
	"encoding/binary"
	"math"
	"sort"
	"strings"
)

// The templates of glyph.go tell a glyph's character poorly on the small
// plates of traffic photos: of 424 characters of endtoend-us's plates
// (about 10 to 20 pixels tall; those of the plates whose character boxes
// the preparation found one for one), the best-matching template is the
// right character 68 % of the time (74 % counting the look-alikes of
// lookAlike as one); of 1852 of crops-us, 76 % (86 %). Small neural
// networks trained on synthesized characters do better: the three built
// in, averaged (see ensemble), 88.9 % (90.1 %) and 94.1 % (97.1 %). Those
// real characters served to measure, never to train.
//
// glyphNet classifies a glyph's cells (see cells; normalised, see
// normalise) among glyphLetters: one hidden layer of 256 rectified units,
// then a softmax. make glyph-net trains three (TestGlyphNet) on the
// characters of 30,000 synthesized plate crops in 24 typefaces, cut out as
// the reader cuts them (see plateGlyphs), and on a draw of its own of
// letters and digits drawn in 18 faces, each 9 to 44 pixels tall,
// condensed, sheared, its strokes thickened or thinned, blurred, on paper
// and ink of random tones, with noise, its box found as the preparation
// finds one and sometimes a pixel off (see glyphSample). No real plate is
// used. Trained on the drawn letters alone they read 84.7 % and 91.7 %.
// The three cost about 0.1 ms per glyph; a crop's glyphs are classified
// once (see prep.netMemo).
//
// Their probabilities join the models' choices of each character of the
// merged reading and of each model's own (see fuse), and tell a W or M the
// models read as N or H (see netLetter).
type glyphNet struct {
	h  int       // hidden units
	w1 []float32 // h rows of netIn
	b1 []float32
	w2 []float32 // netOut rows of h
	b2 []float32
}

const netIn, netOut = glyphW * glyphH, len(glyphLetters)

// netScale scales normalised cells (unit norm) to about unit variance per
// input.
const netScale = 19.6

// glyphNetFile is the trained networks, one after the other (see encode).
//
//go:embed model/glyphnet.bin
var glyphNetFile []byte

// net is glyphNetFile decoded; nil when it is not networks, which a test
// reports.
var net = decodeNets(glyphNetFile)

// encode writes n: the magic "GNET", the hidden size (uint32), then w1, b1,
// w2 and b2; a weight matrix row by row, each row as its scale (float32,
// the largest magnitude / 127) and int8 weights, the biases as float32;
// little-endian. Weights as bytes read the same glyphs as float32 ones, in
// a quarter of the space.
func (n *glyphNet) encode() []byte {
	b := append([]byte("GNET"), binary.LittleEndian.AppendUint32(nil, uint32(n.h))...)
	rows := func(w []float32, cols int) {
		for r := 0; r < len(w); r += cols {
			row := w[r : r+cols]
			var m float32
			for _, v := range row {
				m = max(m, float32(math.Abs(float64(v))))
			}
			s := m / 127
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(s))
			for _, v := range row {
				q := int8(0)
				if s > 0 {
					q = int8(math.Round(float64(v / s)))
				}
				b = append(b, byte(q))
			}
		}
	}
	floats := func(v []float32) {
		for _, f := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	rows(n.w1, netIn)
	floats(n.b1)
	rows(n.w2, n.h)
	floats(n.b2)
	return b
}

// decodeNets reads the networks written one after the other by encode;
// nil when b is not such a sequence.
func decodeNets(b []byte) ensemble {
	var out ensemble
	for len(b) > 0 {
		n, rest := decodeNet(b)
		if n == nil {
			return nil
		}
		out, b = append(out, n), rest
	}
	return out
}

// ensemble is networks trained alike from different random draws, whose
// probabilities are averaged. One network's are noisier than its accuracy
// says: two networks of two draws, alike in accuracy, read endtoend-us
// plates 4 apart (63 and 67 of 106) where they weighed the choices. Five
// networks read 2 crops-us plates fewer than three, and no other plate
// differently.
type ensemble []*glyphNet

// probs returns the mean of the networks' probabilities.
func (e ensemble) probs(v *[glyphW * glyphH]float32) (out [netOut]float32) {
	for _, n := range e {
		p := n.probs(v)
		for k := range out {
			out[k] += p[k] / float32(len(e))
		}
	}
	return out
}

// decodeNet reads a network written by encode at the start of b and
// returns it and the rest of b; nil when b does not start with one.
func decodeNet(b []byte) (*glyphNet, []byte) {
	if len(b) < 8 || string(b[:4]) != "GNET" {
		return nil, nil
	}
	h := int(binary.LittleEndian.Uint32(b[4:]))
	b = b[8:]
	if h <= 0 || h > 4096 || len(b) < h*(4+netIn)+4*h+netOut*(4+h)+4*netOut {
		return nil, nil
	}
	rows := func(n, cols int) []float32 {
		out := make([]float32, 0, n*cols)
		for range n {
			s := math.Float32frombits(binary.LittleEndian.Uint32(b))
			for _, q := range b[4 : 4+cols] {
				out = append(out, float32(int8(q))*s)
			}
			b = b[4+cols:]
		}
		return out
	}
	floats := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		b = b[4*n:]
		return out
	}
	n := &glyphNet{h: h}
	n.w1 = rows(h, netIn)
	n.b1 = floats(h)
	n.w2 = rows(netOut, h)
	n.b2 = floats(netOut)
	return n, b
}

// probs returns the probability of each of glyphLetters for the glyph of
// normalised cells v.
func (n *glyphNet) probs(v *[glyphW * glyphH]float32) (out [netOut]float32) {
	var x [netIn]float32
	for i := range v {
		x[i] = v[i] * netScale
	}
	hid := make([]float32, n.h)
	n.hidden(&x, hid)
	n.output(hid, &out)
	return out
}

// hidden computes the hidden layer's activations of input x (four sums
// at a time: about 30 % less time than one, measured under load).
func (n *glyphNet) hidden(x *[netIn]float32, hid []float32) {
	for j := range hid {
		w := n.w1[j*netIn : (j+1)*netIn]
		w = w[:len(x)]
		var s0, s1, s2, s3 float32
		for i := 0; i+3 < len(w); i += 4 {
			s0 += w[i] * x[i]
			s1 += w[i+1] * x[i+1]
			s2 += w[i+2] * x[i+2]
			s3 += w[i+3] * x[i+3]
		}
		hid[j] = max(n.b1[j]+(s0+s1)+(s2+s3), 0)
	}
}

// output computes the softmax of the output layer into out.
func (n *glyphNet) output(hid []float32, out *[netOut]float32) {
	mx := float32(math.Inf(-1))
	for k := range out {
		s := n.b2[k]
		for j, w := range n.w2[k*n.h : (k+1)*n.h] {
			s += w * hid[j]
		}
		out[k] = s
		mx = max(mx, s)
	}
	var z float32
	for k := range out {
		out[k] = float32(math.Exp(float64(out[k] - mx)))
		z += out[k]
	}
	for k := range out {
		out[k] /= z
	}
}

// fuse: each character of a reading weighs its choices with the network's
// probabilities for its glyph: a choice's weight becomes (1-netWeight) of
// the models' confidence plus netWeight of the network's probability (in
// percent), and the characters the network gives at least netAlt that the
// models did not offer join as choices, weighing netWeight of their
// probability alone. The choices are ranked by weight, but a look-alike of
// the models' first choice (see lookAlike) never takes its place: the
// network tells those apart no better than the templates, and the plate
// syntax settles them. The weights are then scaled so that the first
// choice keeps the models' confidence in the first: the network re-ranks
// a character's choices, it does not make the reading more or less sure
// than the other readings it competes with (without that scaling, the
// readings of one model and of another look won and lost many plates each
// way). probs gives a position's probabilities, nil where there is no
// glyph to classify (the position is then left as it is).
//
// Measured with alpreval, one worker, top-1 exact (with O and 0 equal)
// before fuse and after: endtoend-us 65 (65) and 70 (71) of 106, crops-us
// 312 (320) and 316 (324) of 380, endtoend-eu 31 (33) and 31 (34) of 43,
// endtoend-br 52 and 53 of 63 (with the networks' W and M of netLetter,
// which read 2 endtoend-us plates of these). netWeight from 0.4 to 0.6
// read 466 to 470 plates of the four sets (0.5 most), against 460 before.
// Letting the network's best character replace the models' when clearly
// more probable (by 0.3, and at least 0.6) instead lost 8 crops-us plates
// and 3 Brazilian ones (an 8 read B): on close-up crops it is right less
// often than the models.
func fuse(ps []pos, probs func(pos) *[netOut]float32) {
	for i, q := range ps {
		if len(q.opts) == 0 || len(q.opts[0].text) != 1 {
			continue
		}
		p := probs(q)
		if p == nil {
			continue
		}
		var seen [256]bool
		opts := make([]alt, 0, len(q.opts)+2)
		for _, o := range q.opts {
			pk := 0.0
			if k := strings.Index(glyphLetters, o.text); k >= 0 && len(o.text) == 1 {
				pk = float64(p[k])
			}
			opts = append(opts, alt{o.text, (1-netWeight)*o.conf + netWeight*100*pk})
			if len(o.text) == 1 {
				seen[o.text[0]] = true
			}
		}
		for k := range glyphLetters {
			if c := glyphLetters[k]; !seen[c] && float64(p[k]) >= netAlt {
				opts = append(opts, alt{string(c), netWeight * 100 * float64(p[k])})
			}
		}
		sort.SliceStable(opts, func(a, b int) bool { return opts[a].conf > opts[b].conf })
		if read := q.opts[0].text; opts[0].text != read && alike(opts[0].text, read) {
			j := 0
			for opts[j].text != read {
				j++
			}
			opts[0].text, opts[j].text = read, opts[0].text
		}
		if opts[0].conf > 0 {
			k := q.opts[0].conf / opts[0].conf
			for j := range opts {
				opts[j].conf *= k
			}
		}
		ps[i].opts = opts
	}
}

// netWeight is the network's share of a choice's confidence, netAlt the
// least probability of a character the models did not offer that joins
// the choices (see fuse).
const (
	netWeight = 0.5
	netAlt    = 0.2
)
