//go:build cgo

package tess

import (
	_ "embed"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"

	"alprd/ocr"
)

// Reader reads plate crops with one or two Tesseract handles (the plate
// model, a tessdata language, or both). Not safe for concurrent use; make one
// per worker.
type Reader struct {
	cfg     Config
	allowed *[256]bool // from cfg.Whitelist
	model   []byte     // the plate model's bytes, nil when Language has no PlateModel
	lang    string     // the tessdata languages of Language, "" when none
	plate   *api       // reads with the plate model; nil when closed or unused
	tess    *api       // reads with lang; nil when closed or unused
	open    bool
	prep    prep
	syms    []sym    // the plate model's symbols, reused across reads
	syms2   []sym    // the tessdata language's
	colX    [][2]int // the columns of the tessdata language's image (see read)
}

var _ ocr.Reader = (*Reader)(nil)

// New returns a Reader for cfg (zero fields take their defaults). It does no
// I/O: call Open before Read.
func New(cfg Config) *Reader {
	cfg = cfg.withDefaults()
	r := &Reader{cfg: cfg, allowed: allowedSet(cfg.Whitelist)}
	var rest []string
	for _, l := range strings.Split(cfg.Language, "+") {
		if l == PlateModel {
			r.model = plateModel
		} else {
			rest = append(rest, l)
		}
	}
	r.lang = strings.Join(rest, "+")
	return r
}

// plateModel is PlateModel's traineddata (an integer LSTM model, a few
// hundred kB), made by train/train.sh.
//
//go:embed model/plate.traineddata
var plateModel []byte

// Config returns the configuration in force, defaults filled in.
func (r *Reader) Config() Config { return r.cfg }

// Open creates the Tesseract handles and loads their models. It returns an
// error naming the language and tessdata directory when a model cannot be
// loaded. Open on an open Reader does nothing.
func (r *Reader) Open() error {
	if r.open {
		return nil
	}
	cfg := r.cfg
	fail := func(err error) error {
		return fmt.Errorf("tess: open: language %q, tessdata %s: %w", cfg.Language, cfg.dataDirName(), err)
	}
	if err := cfg.checkModels(); err != nil {
		return fail(err)
	}
	if r.model != nil {
		a, err := openAPI("", r.model, PlateModel, tessVars)
		if err != nil {
			return fail(err)
		}
		r.plate = a
	}
	if r.lang != "" {
		a, err := openAPI(cfg.TessdataPrefix, nil, r.lang, tessVars)
		if err != nil {
			r.Close()
			return fail(err)
		}
		r.tess = a
	}
	r.open = true
	return nil
}

// tessVars are the Tesseract variables of every handle, set before the
// model loads.
var tessVars = [][2]string{
	// No tessedit_char_whitelist: Config.Whitelist is applied to the
	// recognised characters and their alternatives (see page.reading).
	// Per-character LSTM alternatives for the choice iterator.
	{"lstm_choice_mode", "2"},
	// Tesseract's diagnostics (not its errors) go nowhere.
	{"debug_file", "/dev/null"},
}

// Read recognises the text of a plate crop. An unreadable crop (too small,
// flat, or nothing recognised) gives a Reading with empty Text and no error.
//
// The crop is prepared once (see prep.prepare). The plate model reads the
// prepared line as a whole (page segmentation mode 13, as it was trained); a
// tessdata language reads it as a single text line (mode 7). With both,
// their readings are merged character by character when they agree on the
// number of characters, else the more confident one is kept, its misread
// characters filled from the other (see mergePositions). A reading of
// low confidence is read again at another scale (see secondBelow). The
// Reading's Discord is the share of the longer model reading's characters
// that the other model does not read alike at the same place (see
// discord), the less of the two scales'; 0 with a single model. It is
// Glyphless when neither scale's reading has a character on a glyph of
// the row of characters the preparation found (see glyphs.single).
func (r *Reader) Read(crop *image.Gray) (ocr.Reading, error) {
	if !r.open {
		return ocr.Reading{}, errors.New("tess: read: reader not open")
	}
	if crop == nil {
		return ocr.Reading{}, nil
	}
	clear(r.prep.netMemo)
	rd, err := r.read(crop, r.cfg.CharHeight)
	if r.prep.found {
		rd.Chars = r.prep.area.Add(crop.Rect.Min)
	}
	if err != nil || rd.Text == "" || rd.Confidence >= secondBelow {
		return ranked(rd), err
	}
	rd2, err := r.read(crop, r.cfg.CharHeight*secondNum/secondDen)
	if err != nil {
		return ocr.Reading{}, err
	}
	chars := rd.Chars
	rd = better(rd, rd2, r.cfg.MaxCandidates)
	rd.Chars = chars
	return ranked(rd), nil
}

// ranked makes the candidates' confidences fall with their rank. The
// candidates come from two models and two scales whose confidences are not
// on one scale; left as they are, a runner-up can claim more confidence than
// the reading chosen, and the plate-syntax Corrector, which weighs
// candidates by confidence, then prefers it (on crops-us that cost 13 points
// of top-1).
func ranked(rd ocr.Reading) ocr.Reading {
	for i := 1; i < len(rd.Candidates); i++ {
		rd.Candidates[i].Confidence = min(rd.Candidates[i].Confidence, rd.Candidates[i-1].Confidence)
	}
	return rd
}

// A reading less confident than secondBelow is read again with the
// characters secondNum/secondDen of CharHeight tall (40 pixels for the
// default 48), and the more confident of the two readings is kept, with the
// candidates of both. Tesseract's LSTM reads some plates better at one scale
// and some at another; on crops-us this fixed 7 plates more than it broke
// (better on either half of the set) for about 30 % more time per plate on
// average: about one plate in three is read twice. Binarising instead, a
// larger scale, a third read, and voting the two reads position by position
// did no better.
const (
	secondBelow = 95
	secondNum   = 5
	secondDen   = 6
)

// read reads crop once, prepared with characters charH tall. The tessdata
// language reads it widened to the aspect of book fonts (see autoWide);
// then it is laid out again as wide as the crop for the plate model (as it
// was trained), whose symbol boxes are taken to the first layout's
// coordinates so that both readings' boxes compare.
func (r *Reader) read(crop *image.Gray, charH int) (ocr.Reading, error) {
	wide := 100
	if r.tess != nil {
		wide = 0 // automatic
	}
	if !r.prep.prepare(crop, charH, wide, r.cfg.Binarize) {
		return ocr.Reading{}, nil
	}
	var plate, eng []sym
	var err error
	if r.tess != nil {
		img := r.prep.image()
		eng, err = r.tess.read(r.syms2[:0], img.Pix, img.Rect.Dx(), img.Rect.Dy(), img.Stride, psmSingleLine)
		r.syms2 = eng
		if err != nil {
			return ocr.Reading{}, fmt.Errorf("tess: read: %v image: %w", img.Rect.Size(), err)
		}
	}
	if r.plate != nil {
		r.colX = append(r.colX[:0], r.prep.colX...)
		if r.prep.wide != 100 {
			r.prep.layout(charH, 100, r.cfg.Binarize)
		}
		img := r.prep.line()
		plate, err = r.plate.read(r.syms[:0], img.Pix, img.Rect.Dx(), img.Rect.Dy(), img.Stride, psmRawLine)
		r.syms = plate
		if err != nil {
			return ocr.Reading{}, fmt.Errorf("tess: read: %v image: %w", img.Rect.Size(), err)
		}
		dx, dy := r.prep.lineOffset()
		for i := range plate {
			b := &plate[i].box
			b[0], b[1], b[2], b[3] = b[0]+dx, b[1]+dy, b[2]+dx, b[3]+dy
			b[0], b[2] = mapX(b[0], r.prep.colX, r.colX), mapX(b[2], r.prep.colX, r.colX)
		}
	}
	// The glyphs of the prepared crop, for the symbols under marks and the
	// checks of the reading. The positions' x are in the tessdata
	// language's layout when it read (the plate model's boxes were taken
	// there), else in the plate model's.
	g := &glyphs{p: &r.prep, lay: r.prep.colX}
	if r.plate != nil && r.tess != nil {
		g.lay = r.colX
	}
	if r.prep.found {
		// The prepared characters are charH tall, centred on the scaled
		// area.
		h, mid := float64(charH), float64(r.prep.pad)+float64(r.prep.sh)/2
		plate, eng = offRow(plate, h, mid), offRow(eng, h, mid)
		plate = underMarks(plate, eng, h, func(s sym) bool {
			sc := g.at(pos{x: (s.box[0] + s.box[2]) / 2})
			return sc != nil && sc.of(strings.TrimSpace(s.text)) >= glyphKeep
		})
	}
	rowH := 0.0
	if r.prep.found {
		rowH = float64(charH)
	}
	var ps []pos
	var raws []string
	var each [][]pos
	for i, syms := range [2][]sym{plate, eng} {
		if i == 0 && r.plate == nil || i == 1 && r.tess == nil {
			continue
		}
		pg := pageOf(syms)
		raws = append(raws, strings.Join(pg.words, " "))
		p := pg.slots(r.allowed, r.cfg.MinAltConfidence)
		each = append(each, kept(p))
		switch {
		case ps == nil:
			ps = p
		default:
			ps = mergePositions(ps, p, plateWeight, rowH)
		}
	}
	var disc float64
	if len(each) < 2 {
		each = nil
	} else {
		disc = discord(each[0], each[1], float64(charH))
	}
	ps = kept(ps)
	g.check(ps, each)
	rd := rank(strings.Join(raws, " | "), ps, r.cfg.MaxCandidates, each...)
	rd.Discord = disc
	rd.Glyphless = !r.prep.found || !slices.ContainsFunc(ps, func(q pos) bool { return g.single(q) >= 0 })
	return rd, nil
}

// discord is the share of the characters of the longer of two models'
// readings (their kept positions, in one layout's coordinates, characters
// charH tall) that the other does not read alike at the same place (see
// align): 0 when they read the same, 1 when nothing agrees or one read
// nothing.
func discord(a, b []pos, charH float64) float64 {
	n := max(len(a), len(b))
	if n == 0 {
		return 0
	}
	same := 0
	for _, p := range align(a, b, charH) {
		if p[0] >= 0 && p[1] >= 0 && a[p[0]].opts[0].text == b[p[1]].opts[0].text {
			same++
		}
	}
	return 1 - float64(same)/float64(n)
}

// plateWeight is the weight of the plate model's confidences when its
// reading is merged with a tessdata language's of as many characters (see
// mergePositions). The plate model, trained on synthesized plates only,
// confuses the real plate fonts' look-alikes (W and N, M and H, Z and 2,
// D and 0) more than Tesseract's English model does on close-up crops, and
// less on the small plates of traffic frames. Alone, top-1: crops-us plate
// 56 %, English 66 %; endtoend-us 38 % and 32 %; EU 60 % and 44 %; BR 56 %
// and 62 %. It is not the stronger one on US crops, so English keeps the
// larger weight: merged with 0.35, crops-us 74 %; with 0.5 (equal) 73 %,
// 0.65 70 %.
const plateWeight = 0.35

// Tesseract's page segmentation modes used here.
const (
	psmSingleLine = 7
	psmRawLine    = 13
)

// Close releases the Tesseract handle. Closing a closed Reader does nothing;
// a closed Reader can be opened again.
func (r *Reader) Close() error {
	for _, a := range []**api{&r.plate, &r.tess} {
		if *a != nil {
			(*a).close()
			*a = nil
		}
	}
	r.open = false
	return nil
}

// Version returns the version of the Tesseract library linked in.
func Version() string { return tessVersion() }
