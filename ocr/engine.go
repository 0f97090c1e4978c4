package ocr

import (
	"cmp"
	"image"
	"slices"
	"strings"
	"time"
)

// Corrector turns a raw Reading into the best plate text it can: it fixes
// characters by the plate syntax of a jurisdiction and re-ranks candidates.
// It must keep Raw and never force a syntax on a reading that does not fit one.
type Corrector interface {
	Correct(r Reading) Reading
}

// Plate is one plate the Engine found and read in a frame.
type Plate struct {
	Region  Region
	Reading Reading
	Crop    *image.Gray   // the region's pixels, a copy the caller may keep
	Elapsed time.Duration // detection share plus this plate's reading
}

// Engine is the whole recognition path for one frame: detect, crop, read,
// correct, filter. An Engine holds one Reader and so is used by one goroutine
// at a time; make one per worker. The pipeline and tools/alpreval both run
// frames through it, so what is measured is what the unit does.
type Engine struct {
	Detector  Detector
	Reader    Reader
	Corrector Corrector // nil: readings are kept as read

	MaxPlates     int     // regions read per frame; 0 = 3
	Ignore        []Area  // parts of the frame whose regions are not read
	MinChars      int     // readings with fewer characters are dropped; 0 = DefaultMinChars
	MaxChars      int     // readings with more characters are dropped; 0 = DefaultMaxChars
	MinConfidence float64 // readings below are dropped

	// Reread, when not 0, has the best region of a frame (the first the
	// Detector returns, a plate far more often than the others) read a
	// second time, cut with its box grown on every side by this fraction
	// of its size (negative: shrunk), and the two readings vote (see
	// Vote). Tesseract's LSTM reads the same plate differently when it is
	// cut differently, and its mistakes then differ more than its right
	// readings do. When the two readings disagree, a third crop, its box
	// grown by twice Reread, joins the vote. Before those, when the
	// characters of the first reading come near a side of the crop, a
	// crop widened there (see widened) is read and votes with it. The other
	// regions are read once: rereading them too read one plate more of
	// the 106 real US photos for 40 % more time. Last, when the Corrector
	// knows no plate of the reading's length (see Lengths), a crop widened
	// on both sides is read and votes. DefaultReread is what the unit and
	// alpreval use.
	Reread float64

	// RegionsRead counts the regions handed to the Reader, dropped or not.
	RegionsRead uint64
}

// Recognize finds and reads the plates in img, best detection first. It
// returns an error only when the Reader fails. A region's reading is kept
// when it passes the filters (see Keeps) and looks like a plate's (see
// plateLike).
func (e *Engine) Recognize(img *image.Gray) ([]Plate, error) {
	start := time.Now()
	regions := e.Detector.Detect(img)
	if len(e.Ignore) > 0 {
		// A copy: the Detector's slice is its own.
		var kept []Region
		for _, r := range regions {
			if !ignored(e.Ignore, img.Rect, r.Box) {
				kept = append(kept, r)
			}
		}
		regions = kept
	}
	if max := cmpOr(e.MaxPlates, 3); len(regions) > max {
		regions = regions[:max]
	}
	detectTime := time.Since(start)
	var plates []Plate
	for i, reg := range regions {
		t := time.Now()
		rd, crop, err := e.read(img, reg.Box, i == 0)
		if err != nil {
			return plates, err
		}
		if !e.Keeps(rd) || !e.plateLike(rd, reg, i == 0) {
			continue
		}
		plates = append(plates, Plate{Region: reg, Reading: rd, Crop: crop, Elapsed: detectTime + time.Since(t)})
	}
	return plates, nil
}

// Area is a part of a frame, in fractions of its width and height: X0, Y0
// the top-left corner, X1, Y1 the bottom-right one (0..1, X0 < X1, Y0 < Y1).
// An Engine does not read the regions whose centre lies in one of its
// Ignore areas: the text a camera burns into its frames (a timestamp, its
// name), which the detector takes for a plate. Of 60 synthesized frames
// with their plate painted out, 28 gave a read, 16 of them the burnt-in
// timestamp; with the timestamp's corner ignored ([0, 0, 0.35, 0.07]), 13
// did, none of them the timestamp (the rest are bumper stickers).
type Area struct {
	X0, Y0, X1, Y1 float64
}

// ignored reports whether the centre of box, in frame f, lies in one of
// areas.
func ignored(areas []Area, f, box image.Rectangle) bool {
	if f.Dx() <= 0 || f.Dy() <= 0 {
		return false
	}
	cx := (float64(box.Min.X+box.Max.X)/2 - float64(f.Min.X)) / float64(f.Dx())
	cy := (float64(box.Min.Y+box.Max.Y)/2 - float64(f.Min.Y)) / float64(f.Dy())
	return slices.ContainsFunc(areas, func(a Area) bool { return a.X0 <= cx && cx < a.X1 && a.Y0 <= cy && cy < a.Y1 })
}

// Keeps reports whether rd passes the Engine's filters: MinChars to
// MaxChars characters, at least MinConfidence, and a letter when it is
// longer than maxSerial characters.
func (e *Engine) Keeps(rd Reading) bool {
	n := len(rd.Text)
	if n < cmpOr(e.MinChars, DefaultMinChars) || n > cmpOr(e.MaxChars, DefaultMaxChars) || rd.Confidence < e.MinConfidence {
		return false
	}
	return n <= maxSerial || strings.ContainsFunc(rd.Text, func(r rune) bool { return 'A' <= r && r <= 'Z' })
}

// Fitter is what a Corrector may also tell: whether a text fits one of its
// plate formats as it is (syntax.Corrector does).
type Fitter interface {
	Fits(text string) bool
}

// plateLike reports whether the reading of a region (the best one, the
// first the Detector returns, when best is set) is kept as a plate's. A
// region other than the best needs the Reader's models to have read it
// alike (a Discord of maxDiscord or less). Then the reading is kept when
// the detector scores the region plateScore or more; below that, not when
// it is Glyphless (see Reading); else when its text fits a plate format of
// the Corrector (see Fitter), or, for the best region, when it could be a
// personalised plate: personalChars characters or more, read with
// personalConf confidence or more. Without a Corrector that tells formats,
// every reading is kept.
//
// The regions the detector doubts are mostly not plates: bumper stickers,
// dealer frames, signs, a timestamp burnt into the frame, a grille or a
// fence read as characters (GGGG, 77777, YY), whose text fits no format
// or, being a few digits, fits one by chance while the models read unlike
// garbage. A frame without a plate still has a best region, and the most
// common frame of all, an empty road, then gave a read. A personalised
// plate of another car fits no format either, and a far plate may be read
// unlike by the models; either is read when its car comes closer and its
// region becomes the best.
//
// What the models read in a texture fits a format by chance as often as
// not (59494, 555551, BDP5359 in a grille or a wheel), and is read with
// full confidence; but the Reader finds no row of character glyphs under
// it (Reading.Glyphless). Measured with alpreval -blank (each labelled
// plate painted out of its photo): the endtoend-us frames that gave a read
// went from 27 of 106 to 15, endtoend-eu from 5 of 43 to 2, endtoend-br
// stayed at 10 of 63 (its reads stand on glyphs: other cars' plates,
// signs); of the photos as they are, no plate's reading changed on the four
// sets, and one other read of endtoend-eu went. Of the best regions read
// right in endtoend-us, every one had a character on a glyph.
func (e *Engine) plateLike(rd Reading, reg Region, best bool) bool {
	f, ok := e.Corrector.(Fitter)
	switch {
	case !ok:
		return true
	case !best && rd.Discord > maxDiscord:
		return false
	case reg.Score >= plateScore:
		return true
	case rd.Glyphless:
		return false
	case f.Fits(rd.Text):
		return true
	}
	return best && len(rd.Text) >= personalChars && rd.Confidence >= personalConf
}

// plateScore is the detector score from which a region's reading is kept
// whether it fits a format or not (see plateLike). Measured on the regions
// the unit reads in 200 synthesized frames (platesynth -seed 7: a plate
// each, with its car's stickers, the street's signs and a burnt-in
// timestamp) and in the 106 photos of endtoend-us, with the US formats:
// of the regions other than the best, 33 of 146 and 34 of 94 readings are
// kept; the plates' readings do not change. The plates themselves score
// below 0.4 in 2 of the 200 synthesized frames but in 18 of the 106 photos,
// where one (08E6CK, scored 0.43) was not the best region; a threshold of
// 0.6 keeps 4 fewer of the other regions' readings in either.
const plateScore = 0.4

// maxDiscord is the most Discord (see Reading) a region other than the
// best may have (see plateLike). US formats take most short runs of
// digits, which the models read in a grille or a sign where they agree on
// nothing else (7244 and "ua", 88896 and "55SS"), and the detector scores
// some signs and textures like plates (18F0GF and "larter"). Measured with
// alpreval: the other reads of endtoend-us went from 35 in 30 images to 9
// in 8 (15 in 12 when the readings that fit no format and score 0.4 or
// more were spared), endtoend-br from 7 to 5, those of endtoend-us' frames
// with the plate painted out (-blank) from 42 in 35 to 29 in 27, and of 200
// synthesized frames (platesynth -seed 7) from 80 in 70 to 61 in 58; no
// set's plates read differently. Any threshold from 0.3 to 0.7 did the
// same on the fitting readings of endtoend-us: those dropped have a
// Discord near 1.
const maxDiscord = 0.5

// personalChars and personalConf: what a best region's reading that
// neither fits a format nor scores plateScore needs to be kept (see
// plateLike). Measured with alpreval on the photos with their labelled
// plate painted out (the frame's surroundings, no plate): of the 106
// endtoend-us frames 62 gave a read before, 35 after; endtoend-eu 9 of 43
// before, 5 after; endtoend-br 34 of 63, 10. On the photos as they are,
// no plate read right was dropped; 3 endtoend-us readings of a plate (HU,
// JI, XEN, misreads all) and 1 endtoend-eu one were, so that those plates
// count as not found. With 4 characters and no confidence needed, the
// painted-out frames gave 47, 7 and 18 reads.
const (
	personalChars = 4
	personalConf  = 96.0
)

// DefaultMinChars is the shortest reading the unit and alpreval take for a
// plate.
const DefaultMinChars = 2

// DefaultMaxChars is the longest reading the unit and alpreval take for a
// plate. Serial formats have at most maxSerial characters, but personalised
// plates have more: crops-us holds JUSTMAUID, BIGCHEESE and SWEETTHING,
// which the reader read right and a limit of 8 dropped (crops-us top-1 84.5
// → 85.3 %; no other set changed). The plate syntax knows patterns up to 10
// long.
const DefaultMaxChars = 10

// maxSerial is the longest serial any jurisdiction issues. A longer reading
// is a personalised plate, a word; a longer run of digits is not a plate
// but a dealer frame's telephone number or a timestamp burnt into the frame
// (the demo's dealer frame, 817114748, was read in every frame it was in).
const maxSerial = 8

// DefaultReread is the Reread of the unit and alpreval: a crop a little
// tighter than the detector's box. Measured with alpreval, one worker,
// top-1 (top-10) without, with -0.03 and with -0.06 (every region read
// twice then): endtoend-us 45.3 % (67.0), 52.8 (68.9), 50.9 (70.8);
// crops-us 74.2 (84.5), 74.5 (86.6), 72.9 (85.3); endtoend-eu 60.5 (74.4),
// 62.8 (76.7), 65.1 (76.7); endtoend-br 76.2 (82.5), 74.6 (81.0), 74.6
// (82.5). The smaller shrink costs the close-up crops nothing (they have
// no margin to lose). The third look when the two disagree (of the best
// region only) then took endtoend-us top-1 from 51.9 to 53.8 % (top-10
// 67.9 to 71.7) and BR from 74.6 to 76.2 %, cost crops-us one plate of
// 380, and 5 ms of median time.
const DefaultReread = -0.03

// grow returns r grown on every side by f of its width and height
// (shrunk for negative f).
func grow(r image.Rectangle, f float64) image.Rectangle {
	dx, dy := int(f*float64(r.Dx())), int(f*float64(r.Dy()))
	return image.Rect(r.Min.X-dx, r.Min.Y-dy, r.Max.X+dx, r.Max.Y+dy)
}

// Vote combines readings of one plate (of several crops, say) into one:
// each candidate scores its confidence (0..1) divided by its rank (1 for
// the first, 1/2 for the second, ...), summed over the readings, and the
// candidates are ranked by score; the first reading wins ties. A text that
// two readings rank high beats one that only a single reading puts first.
// Confidences are kept (the highest any reading gave), and the Raws are
// joined with " // ". At most voteKeep candidates are kept, or as many as
// the longest list when that is more; a reading with a Text and no
// Candidates counts as one candidate. Chars is left empty (the readings
// come from different crops).
func Vote(rs ...Reading) Reading {
	type tally struct {
		text        string
		score, conf float64
	}
	var ts []tally
	var out Reading
	maxN := 0
	for i, r := range rs {
		if i == 0 {
			out.Raw, out.Discord, out.Glyphless = r.Raw, r.Discord, r.Glyphless
		} else {
			out.Raw += " // " + r.Raw
			out.Discord = min(out.Discord, r.Discord)
			out.Glyphless = out.Glyphless && r.Glyphless
		}
		cands := r.Candidates
		if len(cands) == 0 && r.Text != "" {
			cands = []Candidate{{Text: r.Text, Confidence: r.Confidence}}
		}
		maxN = max(maxN, len(cands))
		for k, c := range cands {
			j := slices.IndexFunc(ts, func(t tally) bool { return t.text == c.Text })
			if j < 0 {
				ts = append(ts, tally{text: c.Text})
				j = len(ts) - 1
			}
			ts[j].score += c.Confidence / 100 / float64(k+1)
			ts[j].conf = max(ts[j].conf, c.Confidence)
		}
	}
	// ts is in the order of first appearance, which a stable sort keeps
	// among equal scores.
	slices.SortStableFunc(ts, func(a, b tally) int { return cmp.Compare(b.score, a.score) })
	for _, t := range ts[:min(len(ts), max(maxN, voteKeep))] {
		out.Candidates = append(out.Candidates, Candidate{Text: t.text, Confidence: t.conf})
	}
	if len(out.Candidates) > 0 {
		out.Text, out.Confidence = out.Candidates[0].Text, out.Candidates[0].Confidence
	}
	return out
}

// voteKeep is the least number of candidates Vote keeps (when there are as
// many): the default of tess.Config.MaxCandidates.
const voteKeep = 10

// Read reads the plate in box of img (once, or more with Reread, voted)
// and corrects the reading; it also returns the crop of box, a copy the
// caller may keep. It is for plates already cut out, read as Recognize
// reads the best region of a frame. It returns an error only when the
// Reader fails.
func (e *Engine) Read(img *image.Gray, box image.Rectangle) (Reading, *image.Gray, error) {
	return e.read(img, box, true)
}

// read is Read, rereading only when again is set.
func (e *Engine) read(img *image.Gray, box image.Rectangle, again bool) (Reading, *image.Gray, error) {
	crop := Crop(img, box)
	rd, err := e.Reader.Read(crop)
	e.RegionsRead++
	if err != nil {
		return rd, crop, err
	}
	if again && e.Reread != 0 {
		if wb, ok := widened(img, box, rd.Chars); ok {
			// The characters come near the crop's side: the detector
			// may have cut the plate short there.
			rdw, err := e.Reader.Read(Crop(img, wb))
			if err != nil {
				return rd, crop, err
			}
			rd = Vote(rdw, rd)
		}
		rd2, err := e.Reader.Read(Crop(img, grow(box, e.Reread)))
		if err != nil {
			return rd, crop, err
		}
		if rd2.Text == rd.Text {
			rd = Vote(rd, rd2)
		} else {
			// They disagree: a third look, cut as much again, breaks
			// the tie.
			rd3, err := e.Reader.Read(Crop(img, grow(box, 2*e.Reread)))
			if err != nil {
				return rd, crop, err
			}
			rd = Vote(rd, rd2, rd3)
		}
		if lc, ok := e.Corrector.(Lengths); ok && rd.Text != "" && !lc.HasLength(len(rd.Text)) {
			// No plate of the Corrector's has that many characters: the
			// detector's box may have cut the plate short (or taken in
			// something beside it). A crop widened on both sides votes,
			// first, when its reading has a plate's length.
			d := int(offLengthGrow * float64(box.Dy()))
			rdw, err := e.Reader.Read(Crop(img, image.Rect(box.Min.X-d, box.Min.Y, box.Max.X+d, box.Max.Y).Intersect(img.Rect)))
			if err != nil {
				return rd, crop, err
			}
			if lc.HasLength(len(rdw.Text)) {
				rd = Vote(rdw, rd)
			}
		}
	}
	if e.Corrector != nil {
		rd = e.Corrector.Correct(rd)
	}
	return rd, crop, nil
}

// Lengths is what a Corrector may also tell: whether some plate it knows
// has n characters (syntax.Corrector does).
type Lengths interface {
	HasLength(n int) bool
}

// offLengthGrow is how much the crop of a best region whose reading has a
// length no plate has is widened on each side, as a fraction of the box's
// height (see Engine.read). On endtoend-br, where every plate has 7
// characters, it read PJB7392 (read JB7392, the detector's box cutting
// the P off) and OUQ6314; no other set changed, their regions' plates
// having every length their readings had. Widened by 0.3, 0.9 and 1.2 of
// the height it read 1, 1 and 2 plates more.
const offLengthGrow = 0.6

// widened returns box widened by half a character height on each side
// where the characters a Reader found in its crop (chars, in the crop's
// coordinates, see Reading.Chars) come within half a character height of
// the crop's edge (chars holds a quarter of their height around them, and
// a further quarter is allowed), the frame permitting: a plate the
// detector may have cut short. ok is false when no side is widened.
//
// As a further look at the best region (see Engine.Reread) it took top-1
// on endtoend-br from 77.8 to 81.0 % (Brazilian plates whose first letter
// the detector's box left out) and changed no other set's top-1, for
// about 4 ms more median time per endtoend-us image, when only characters
// within a quarter of their height of the edge set it off; widened by a
// whole character height instead, it read two plates fewer. Set off within
// half a character height, as now, it reads 2 more endtoend-us plates (a
// further look's vote, more than a plate cut short) and 1 more
// endtoend-br one, for 2 ms more median time on endtoend-us and 3 % fewer
// frames per second in the daemon's simulation. Set off within three
// quarters of a height (or always) it read one more endtoend-br plate but
// took a fifth of the daemon's frames per second, its synthesized plates
// setting it off far more often than the photos do. Doing it for every
// region, not just the best, read one more endtoend-us plate for twice
// the time.
func widened(img *image.Gray, box, chars image.Rectangle) (image.Rectangle, bool) {
	cb := box.Intersect(img.Rect)
	if chars.Empty() || cb.Empty() {
		return box, false
	}
	k := chars.Add(cb.Min)
	// chars holds a quarter of a character height above and below them:
	// h is half a character height, near a quarter.
	h, near := k.Dy()/3, k.Dy()/6
	wb := cb
	if k.Min.X-near <= cb.Min.X {
		wb.Min.X -= h
	}
	if k.Max.X+near >= cb.Max.X {
		wb.Max.X += h
	}
	wb = wb.Intersect(img.Rect)
	return wb, wb != cb
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
