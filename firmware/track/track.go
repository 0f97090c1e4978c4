package track

import (
	"cmp"
	"image"
	"math"
	"slices"
	"time"

	"alprd/ocr"
)

// Config tunes a Tracker. Zero or negative values take the defaults noted.
type Config struct {
	// Window is how long a track waits for its next observation before it
	// closes: the vehicle has left. Default 1s.
	Window time.Duration
	// WindowFrames, when positive, also closes a track after that many
	// consecutive Add calls without an observation for it, whichever of
	// Window and WindowFrames comes first. Default 0: time only.
	WindowFrames int
	// MaxAge closes a track that long after its first observation even if
	// the vehicle is still in view, so that a parked car gives a pass every
	// MaxAge instead of never. A track also closes once it holds
	// MaxObservations observations, which bounds its memory whatever MaxAge
	// is. Default 30s.
	MaxAge time.Duration
	// MinFrames is the number of frames a pass should be seen in. Passes
	// seen in fewer are still emitted, with Pass.Short set: a fast car at a
	// low frame rate may be seen once, and dropping a read is the caller's
	// decision (publish it, but maybe do not alert on it). Default 1.
	MinFrames int
	// MaxCandidates is the most candidates a Pass carries, its own text
	// included. Default 10.
	MaxCandidates int
	// MaxTracks is the most tracks open at once. Beyond it the track seen
	// least recently closes early (ReasonEvicted). Default 64.
	MaxTracks int
}

// MaxObservations is the most observations one track holds before it closes
// with ReasonMaxAge.
const MaxObservations = 1024

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = time.Second
	}
	if c.WindowFrames < 0 {
		c.WindowFrames = 0
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 30 * time.Second
	}
	if c.MinFrames <= 0 {
		c.MinFrames = 1
	}
	if c.MaxCandidates <= 0 {
		c.MaxCandidates = 10
	}
	if c.MaxTracks <= 0 {
		c.MaxTracks = 64
	}
	return c
}

// Observation is one plate read in one frame.
type Observation struct {
	// Time is the frame's capture time. Zero means the now given to Add.
	Time time.Time
	// Seq is the frame's sequence number; the tracker only breaks ties
	// with it.
	Seq uint64
	// Plate is what recognition found: Region.Box drives the motion
	// matching, Reading the text matching and the vote.
	Plate ocr.Plate
	// Meta is the caller's data (such as the position fix at capture),
	// handed back untouched in Pass.Best.
	Meta any
}

// Reason says why a track closed.
type Reason uint8

const (
	// ReasonGone: no observation for Window (or WindowFrames).
	ReasonGone Reason = iota + 1
	// ReasonMaxAge: the track was MaxAge old or held MaxObservations.
	ReasonMaxAge
	// ReasonEvicted: more than MaxTracks tracks were open.
	ReasonEvicted
	// ReasonFlush: Flush, or the clock stepped back by more than Window.
	ReasonFlush
)

func (r Reason) String() string {
	switch r {
	case ReasonGone:
		return "gone"
	case ReasonMaxAge:
		return "max-age"
	case ReasonEvicted:
		return "evicted"
	case ReasonFlush:
		return "flush"
	}
	return "unknown"
}

// Pass is one vehicle pass: the vote over one track's readings.
type Pass struct {
	// Text is the voted plate text; empty when no observation had any.
	Text string
	// Confidence is 0..100: the mean confidence of the readings that
	// voted at full weight times the product of the per-position shares.
	Confidence float64
	// Candidates are the best texts, best first, at most
	// Config.MaxCandidates; Candidates[0].Text == Text when Text is not
	// empty. The slice is the pass's own.
	Candidates []ocr.Candidate
	// Best is the observation whose text is closest to Text (equal, when
	// any reading was), the most confident among those: its crop, box, time,
	// sequence and Meta make the read.
	Best Observation
	// Frames is how many frames the track was seen in.
	Frames int
	// Short is Frames < Config.MinFrames.
	Short bool
	// First and Last are the earliest and the latest observation times.
	First, Last time.Time
	// Reason is why the track closed.
	Reason Reason
}

// Tracker groups observations into tracks and votes each track into a Pass.
// Make one with New. A Tracker is not safe for concurrent use: one goroutine
// owns it.
//
// Memory is bounded: at most MaxTracks tracks, each with at most
// MaxObservations readings (text, confidence, candidates) and the whole
// Observation (crop included) of at most 16 distinct texts, the most
// confident of each, from which Pass.Best is chosen.
type Tracker struct {
	cfg    Config
	tracks []*track // open, in creation order
	free   []*track // closed, for reuse
	nextID uint64
	frame  uint64    // Add calls
	clock  time.Time // latest now seen; never goes back but for a step

	// Scratch space reused by every Add.
	obs    []Observation
	pairs  []pair
	takenT []bool
	takenO []int // index+1 of the track an observation went to; 0: none
}

// New returns a Tracker with cfg's zero fields set to their defaults.
func New(cfg Config) *Tracker {
	return &Tracker{cfg: cfg.withDefaults()}
}

// Open returns the number of open tracks.
func (t *Tracker) Open() int { return len(t.tracks) }

// Add gives the tracker one frame: now is the frame's time (its capture
// time, or the current time on the same clock when there is no frame), obs
// the plates read in it, possibly none: an empty frame still advances time
// and can close tracks. It returns the passes that closed, oldest first, or
// nil.
//
// Tracks are closed against now before the observations are matched, so an
// observation never extends a track that had already expired. Add keeps the
// observations (their crops, candidates and Meta) until their pass is
// returned; the caller must not modify them.
func (t *Tracker) Add(now time.Time, obs ...Observation) []Pass {
	t.frame++
	if now.IsZero() {
		now = t.clock
		for i := range obs {
			if obs[i].Time.After(now) {
				now = obs[i].Time
			}
		}
	}
	var out []Pass
	if !t.clock.IsZero() && now.Before(t.clock.Add(-t.cfg.Window)) {
		// The clock was stepped back: nothing open can be matched on it.
		out = t.closeAll(out, ReasonFlush)
		t.clock = now
	}
	if now.After(t.clock) {
		t.clock = now
	}
	out = t.expire(out)
	t.match(now, obs)
	for len(t.tracks) > t.cfg.MaxTracks {
		oldest := t.tracks[0]
		for _, tr := range t.tracks[1:] {
			if tr.last.Before(oldest.last) {
				oldest = tr
			}
		}
		oldest.closing = ReasonEvicted
		out = t.close(out)
	}
	return sortPasses(out)
}

// Flush closes every open track and returns their passes, oldest first. Use
// it at shutdown, or when frames stop arriving (the camera is lost) and the
// open passes should not wait for the next frame.
func (t *Tracker) Flush() []Pass {
	return sortPasses(t.closeAll(nil, ReasonFlush))
}

// expire closes the tracks that are too old or have not been seen for the
// window.
func (t *Tracker) expire(out []Pass) []Pass {
	n := 0
	for _, tr := range t.tracks {
		switch {
		case t.clock.Sub(tr.first) >= t.cfg.MaxAge || len(tr.reads) >= MaxObservations:
			tr.closing = ReasonMaxAge
		case t.clock.Sub(tr.last) > t.cfg.Window,
			t.cfg.WindowFrames > 0 && t.frame-tr.lastFrame > uint64(t.cfg.WindowFrames):
			tr.closing = ReasonGone
		default:
			continue
		}
		n++
	}
	if n == 0 {
		return out
	}
	return t.close(out)
}

// close votes the tracks marked closing into passes, appends them to out and
// removes the tracks.
func (t *Tracker) close(out []Pass) []Pass {
	t.tracks = slices.DeleteFunc(t.tracks, func(tr *track) bool {
		if tr.closing == 0 {
			return false
		}
		out = append(out, tr.pass(t.cfg, tr.closing))
		tr.reset()
		t.free = append(t.free, tr)
		return true
	})
	return out
}

// closeAll closes every open track for reason r.
func (t *Tracker) closeAll(out []Pass, r Reason) []Pass {
	for _, tr := range t.tracks {
		tr.closing = r
	}
	return t.close(out)
}

// sortPasses puts passes in order of their first observation; passes that
// closed together keep the tracks' creation order.
func sortPasses(ps []Pass) []Pass {
	slices.SortStableFunc(ps, func(a, b Pass) int { return a.First.Compare(b.First) })
	return ps
}

// pair is a possible assignment of observation o to track tr.
type pair struct {
	cost  float64
	tr, o int
}

// Matching constants, in units of the mean box diagonal unless noted.
const (
	nearJump   = 0.5  // closer than this, the boxes alone decide
	gateVel    = 1.5  // motion gate for a track with a velocity
	gateNoVel  = 2.5  // motion gate for a track seen once
	maxGrowth  = 2.0  // largest diagonal ratio between matched boxes
	textSame   = 0.35 // normDist under which texts are of the same plate
	rescueLen  = 4    // shortest texts that may match wherever the box is
	textWeight = 2.0  // cost of a normDist of 1, against one diagonal
	textVeto   = 0.5  // texts further apart are different plates, wherever the boxes are
	dupIoU     = 0.5  // same-frame overlap that makes a duplicate detection
)

// match assigns obs to the open tracks and starts tracks for the rest.
func (t *Tracker) match(now time.Time, obs []Observation) {
	if len(obs) == 0 {
		return
	}
	// A copy, so that the caller's slice is left as it was.
	obs = append(t.obs[:0], obs...)
	t.obs = obs
	defer clear(t.obs) // the tracks keep what they need
	for i := range obs {
		if obs[i].Time.IsZero() {
			obs[i].Time = now
		}
	}
	t.pairs = t.pairs[:0]
	for i, tr := range t.tracks {
		for j := range obs {
			if c, ok := t.cost(tr, &obs[j]); ok {
				t.pairs = append(t.pairs, pair{c, i, j})
			}
		}
	}
	slices.SortFunc(t.pairs, func(a, b pair) int {
		if c := cmp.Compare(a.cost, b.cost); c != 0 {
			return c
		}
		if c := cmp.Compare(a.tr, b.tr); c != 0 {
			return c
		}
		return cmp.Compare(a.o, b.o)
	})
	t.takenT = append(t.takenT[:0], make([]bool, len(t.tracks))...)
	t.takenO = append(t.takenO[:0], make([]int, len(obs))...)
	for _, p := range t.pairs {
		if t.takenT[p.tr] || t.takenO[p.o] != 0 {
			continue
		}
		t.takenT[p.tr], t.takenO[p.o] = true, p.tr+1
		t.tracks[p.tr].add(&obs[p.o], t.frame, true)
	}
	for j := range obs {
		if t.takenO[j] != 0 {
			continue
		}
		if k := t.duplicateOf(obs, j); k > 0 {
			t.takenO[j] = k
			t.tracks[k-1].add(&obs[j], t.frame, false)
			continue
		}
		tr := t.newTrack()
		tr.add(&obs[j], t.frame, true)
		t.tracks = append(t.tracks, tr)
		t.takenO[j] = len(t.tracks)
	}
}

// duplicateOf returns index+1 of the track that the observation of this
// frame overlapping obs[j] most went to, or 0 when none overlaps by dupIoU:
// one plate detected twice.
func (t *Tracker) duplicateOf(obs []Observation, j int) int {
	b := obs[j].Plate.Region.Box
	if b.Empty() {
		return 0
	}
	best, bestIoU := 0, dupIoU
	for k := range obs {
		if k == j || t.takenO[k] == 0 {
			continue
		}
		if v := iou(b, obs[k].Plate.Region.Box); v >= bestIoU {
			best, bestIoU = t.takenO[k], v
		}
	}
	return best
}

func (t *Tracker) newTrack() *track {
	var tr *track
	if n := len(t.free); n > 0 {
		tr, t.free = t.free[n-1], t.free[:n-1]
	} else {
		tr = new(track)
	}
	t.nextID++
	tr.id = t.nextID
	return tr
}

// cost says whether o may join tr and at what cost (lower is better).
func (t *Tracker) cost(tr *track, o *Observation) (float64, bool) {
	dt := o.Time.Sub(tr.last)
	if dt > t.cfg.Window || dt < -t.cfg.Window || o.Time.Sub(tr.first) >= t.cfg.MaxAge {
		return 0, false
	}
	ob := o.Plate.Region.Box
	ox, oy := centre(ob)
	px, py := tr.cx, tr.cy
	gate := gateNoVel
	if tr.hasVel {
		s := dt.Seconds()
		px, py = px+tr.vx*s, py+tr.vy*s
		gate = gateVel
	}
	da, db := diag(tr.box), diag(ob)
	scale := max((da+db)/2, 1)
	jump := math.Hypot(ox-px, oy-py) / scale
	sized := max(da, db) <= maxGrowth*max(min(da, db), 1)
	td, same := t.textDist(tr, o)
	if td > textVeto {
		// Another car in the same place (the next one in the lane, or a
		// replayed sequence of different cars): more than half the
		// characters differ even after confusable pairs are forgiven.
		return 0, false
	}
	switch {
	case jump <= nearJump && sized:
	case jump <= gate && sized && (td < 0 || td <= textSame):
	case same:
	default:
		return 0, false
	}
	if td < 0 {
		td = textSame
	}
	return jump + textWeight*td, true
}

// textDist is the smallest normDist between o's text or first alternatives
// and tr's texts, or -1 when either side has no text. same reports whether
// two of those texts, both at least rescueLen long, differ only by
// confusable characters: the same plate, wherever its box is.
func (t *Tracker) textDist(tr *track, o *Observation) (best float64, same bool) {
	rd := &o.Plate.Reading
	best = -1
	for i := -1; i < min(len(rd.Candidates), 3); i++ {
		a := rd.Text
		if i >= 0 {
			if a = rd.Candidates[i].Text; a == rd.Text {
				continue
			}
		}
		if a == "" {
			continue
		}
		for k, b := range [2]string{tr.bestText, tr.lastText} {
			if b == "" || k == 1 && b == tr.bestText {
				continue
			}
			d := dist(a, b)
			if n := float64(max(len(a), len(b))); best < 0 || d/n < best {
				best = d / n
			}
			same = same || d < 1 && len(a) == len(b) && len(a) >= rescueLen
		}
	}
	return best, same
}

// track is one vehicle's observations so far.
type track struct {
	id          uint64
	closing     Reason // set when the track is to close
	first, last time.Time
	lastFrame   uint64          // Tracker.frame at the last observation
	box         image.Rectangle // box at the latest observation
	cx, cy      float64         // its centre
	vx, vy      float64         // centre velocity, px/s
	hasVel      bool
	frames      int
	reads       []reading
	keep        []kept // the most confident observation of each text
	bestText    string // text of the most confident reading
	bestConf    float64
	lastText    string // text of the latest reading
}

// reading is what the vote needs of an observation.
type reading struct {
	text  string
	conf  float64
	cands []ocr.Candidate
}

type kept struct {
	obs Observation
	n   int // readings with this text
}

// maxKeep bounds the observations (and crops) a track keeps for Pass.Best.
const maxKeep = 16

func (tr *track) reset() {
	clear(tr.reads)
	clear(tr.keep)
	*tr = track{reads: tr.reads[:0], keep: tr.keep[:0]}
}

// add records o. frame says whether o is a new frame for the track (false for
// a duplicate detection in a frame the track already has).
func (tr *track) add(o *Observation, now uint64, frame bool) {
	rd := &o.Plate.Reading
	conf := clampConf(rd.Confidence)
	if frame {
		tr.frames++
	}
	tr.lastFrame = now
	tr.reads = append(tr.reads, reading{rd.Text, conf, rd.Candidates})
	if rd.Text != "" && (tr.bestText == "" || conf > tr.bestConf) {
		tr.bestText, tr.bestConf = rd.Text, conf
	}
	tr.keepObs(o, conf)

	if len(tr.reads) == 1 {
		tr.first, tr.last = o.Time, o.Time
		tr.box = o.Plate.Region.Box
		tr.cx, tr.cy = centre(tr.box)
		tr.lastText = rd.Text
		return
	}
	if o.Time.Before(tr.first) {
		tr.first = o.Time
	}
	if !o.Time.After(tr.last) {
		return // late or same-time: motion and the latest text stay
	}
	if rd.Text != "" {
		tr.lastText = rd.Text
	}
	if frame {
		x, y := centre(o.Plate.Region.Box)
		if s := o.Time.Sub(tr.last).Seconds(); s >= 0.001 {
			vx, vy := (x-tr.cx)/s, (y-tr.cy)/s
			if tr.hasVel {
				vx, vy = (tr.vx+vx)/2, (tr.vy+vy)/2
			}
			tr.vx, tr.vy, tr.hasVel = vx, vy, true
		}
		tr.box, tr.cx, tr.cy = o.Plate.Region.Box, x, y
	}
	tr.last = o.Time
}

func (tr *track) keepObs(o *Observation, conf float64) {
	text := o.Plate.Reading.Text
	for i := range tr.keep {
		k := &tr.keep[i]
		if k.obs.Plate.Reading.Text == text {
			k.n++
			if conf > clampConf(k.obs.Plate.Reading.Confidence) {
				k.obs = *o
			}
			return
		}
	}
	if len(tr.keep) < maxKeep {
		tr.keep = append(tr.keep, kept{*o, 1})
		return
	}
	// Full: replace the text read least often, the least confident of those.
	w := 0
	for i := range tr.keep {
		a, b := &tr.keep[i], &tr.keep[w]
		if a.n < b.n || a.n == b.n && a.obs.Plate.Reading.Confidence < b.obs.Plate.Reading.Confidence {
			w = i
		}
	}
	tr.keep[w] = kept{*o, 1}
}

// pass votes the track.
func (tr *track) pass(cfg Config, r Reason) Pass {
	v := vote(tr.reads, cfg.MaxCandidates)
	p := Pass{
		Text:       v.text,
		Confidence: v.conf,
		Candidates: v.cands,
		Frames:     tr.frames,
		Short:      tr.frames < cfg.MinFrames,
		First:      tr.first,
		Last:       tr.last,
		Reason:     r,
	}
	best, bestD := -1, 0.0
	for i := range tr.keep {
		k := &tr.keep[i].obs
		d := dist(k.Plate.Reading.Text, v.text)
		if best < 0 || better(d, k, bestD, &tr.keep[best].obs) {
			best, bestD = i, d
		}
	}
	if best >= 0 {
		p.Best = tr.keep[best].obs
	}
	return p
}

// better orders candidate best observations: closer text, then higher
// confidence, then earlier.
func better(d float64, a *Observation, bd float64, b *Observation) bool {
	if d != bd {
		return d < bd
	}
	if ca, cb := clampConf(a.Plate.Reading.Confidence), clampConf(b.Plate.Reading.Confidence); ca != cb {
		return ca > cb
	}
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	return a.Seq < b.Seq
}

func clampConf(c float64) float64 {
	if !(c > 0) { // NaN too
		return 0
	}
	return min(c, 100)
}

func centre(r image.Rectangle) (float64, float64) {
	return float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2
}

func diag(r image.Rectangle) float64 {
	return math.Hypot(float64(r.Dx()), float64(r.Dy()))
}

func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	ia := float64(in.Dx() * in.Dy())
	return ia / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia)
}
