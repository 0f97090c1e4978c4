package track

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"alprd/ocr"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// ob is an observation at ms of a 120x30 plate whose top-left is (x, y).
func ob(ms int, text string, conf float64, x, y int, cands ...ocr.Candidate) Observation {
	if len(cands) == 0 && text != "" {
		cands = []ocr.Candidate{{Text: text, Confidence: conf}}
	}
	return Observation{
		Time: at(ms),
		Seq:  uint64(ms),
		Plate: ocr.Plate{
			Region:  ocr.Region{Box: image.Rect(x, y, x+120, y+30), Score: 0.9},
			Reading: ocr.Reading{Text: text, Raw: text, Confidence: conf, Candidates: cands},
			Crop:    image.NewGray(image.Rect(0, 0, 1, 1)),
		},
	}
}

// frame is one Add call.
type frame struct {
	ms  int
	obs []Observation
}

// run feeds frames to a tracker, then flushes it when flush is set, and
// returns every pass.
func run(cfg Config, frames []frame, flush bool) []Pass {
	tr := New(cfg)
	var out []Pass
	for _, f := range frames {
		out = append(out, tr.Add(at(f.ms), f.obs...)...)
	}
	if flush {
		out = append(out, tr.Flush()...)
	}
	return out
}

func texts(ps []Pass) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Text)
	}
	return s
}

// car is one car driving down and right across the frame at 10 fps from
// start, read as texts in turn.
func car(start, x, y int, readings ...Observation) []frame {
	var fs []frame
	for i, r := range readings {
		ms := start + 100*i
		o := ob(ms, r.Plate.Reading.Text, r.Plate.Reading.Confidence, x+15*i, y+8*i, r.Plate.Reading.Candidates...)
		o.Meta = r.Meta
		fs = append(fs, frame{ms, []Observation{o}})
	}
	return fs
}

func rd(text string, conf float64, cands ...ocr.Candidate) Observation {
	o := ob(0, text, conf, 0, 0, cands...)
	return o
}

// noisyCar is the single car of the brief: "7ABC123" x6 (one at 92, the
// best), "7A8C123" x2 (one at 95, more confident but not the vote),
// "7ABC12" x1, "TABC123" x1.
func noisyCar(start, x, y int) []frame {
	best := rd("7ABC123", 92)
	best.Meta = "best"
	return car(start, x, y,
		rd("7ABC123", 80), rd("7A8C123", 95), rd("7ABC123", 85), rd("TABC123", 60),
		best, rd("7ABC12", 70), rd("7ABC123", 78), rd("7A8C123", 65), rd("7ABC123", 88),
		rd("7ABC123", 81))
}

// merge interleaves the frames of several cars by time.
func merge(cars ...[]frame) []frame {
	byMS := map[int][]Observation{}
	for _, c := range cars {
		for _, f := range c {
			byMS[f.ms] = append(byMS[f.ms], f.obs...)
		}
	}
	var out []frame
	for ms, obs := range byMS {
		out = append(out, frame{ms, obs})
	}
	slices.SortFunc(out, func(a, b frame) int { return a.ms - b.ms })
	return out
}

func TestSingleCar(t *testing.T) {
	frames := append(noisyCar(0, 100, 100), frame{ms: 2500})
	ps := run(Config{}, frames, false)
	if len(ps) != 1 {
		t.Fatalf("got %d passes %q, want 1", len(ps), texts(ps))
	}
	p := ps[0]
	if p.Text != "7ABC123" {
		t.Errorf("got text %q, want %q", p.Text, "7ABC123")
	}
	if p.Frames != 10 {
		t.Errorf("got Frames=%d, want 10", p.Frames)
	}
	if p.Best.Meta != "best" {
		t.Errorf("got best %q at %v (meta %v), want the 92%% exact reading", p.Best.Plate.Reading.Text, p.Best.Plate.Reading.Confidence, p.Best.Meta)
	}
	if p.Best.Plate.Crop == nil {
		t.Errorf("got no crop on the best observation")
	}
	if !p.First.Equal(at(0)) || !p.Last.Equal(at(900)) {
		t.Errorf("got first %v last %v, want %v %v", p.First, p.Last, at(0), at(900))
	}
	if p.Reason != ReasonGone || p.Short {
		t.Errorf("got reason %v short %v, want gone, not short", p.Reason, p.Short)
	}
	if p.Confidence <= 0 || p.Confidence > 100 {
		t.Errorf("got confidence %v, want in (0, 100]", p.Confidence)
	}
}

func TestCandidates(t *testing.T) {
	ps := run(Config{}, noisyCar(0, 100, 100), true)
	if len(ps) != 1 {
		t.Fatalf("got %d passes, want 1", len(ps))
	}
	p := ps[0]
	if len(p.Candidates) == 0 || p.Candidates[0].Text != p.Text || p.Candidates[0].Confidence != p.Confidence {
		t.Fatalf("got candidates %v, want the pass's text and confidence first", p.Candidates)
	}
	have := map[string]bool{}
	for i, c := range p.Candidates {
		have[c.Text] = true
		if i > 1 && c.Confidence > p.Candidates[i-1].Confidence {
			t.Errorf("got candidate %d %v above %v, want best first", i, c, p.Candidates[i-1])
		}
	}
	for _, want := range []string{"7A8C123", "TABC123", "7ABC12"} {
		if !have[want] {
			t.Errorf("got candidates %v, want %q among them", p.Candidates, want)
		}
	}
	if len(p.Candidates) > 10 {
		t.Errorf("got %d candidates, want at most 10", len(p.Candidates))
	}
	// The runner-up of the most disputed position comes second.
	if p.Candidates[1].Text != "7A8C123" {
		t.Errorf("got second candidate %q, want %q", p.Candidates[1].Text, "7A8C123")
	}

	ps = run(Config{MaxCandidates: 2}, noisyCar(0, 100, 100), true)
	if got := len(ps[0].Candidates); got != 2 {
		t.Errorf("MaxCandidates=2: got %d candidates, want 2", got)
	}
}

func TestTwoCars(t *testing.T) {
	tests := []struct {
		name   string
		a, b   string
		bx, by int
	}{
		{"side by side", "7ABC123", "5XYZ987", 700, 110},
		{"similar plates side by side", "7ABC123", "7ABC128", 700, 100},
		{"one behind the other", "7ABC123", "4KLM555", 130, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ra, rb []Observation
			for range 8 {
				ra, rb = append(ra, rd(tt.a, 80)), append(rb, rd(tt.b, 75))
			}
			frames := merge(car(0, 100, 100, ra...), car(0, tt.bx, tt.by, rb...))
			ps := run(Config{}, frames, true)
			if len(ps) != 2 {
				t.Fatalf("got %d passes %q, want 2", len(ps), texts(ps))
			}
			got := texts(ps)
			slices.Sort(got)
			want := []string{tt.a, tt.b}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
			for _, p := range ps {
				if p.Frames != 8 {
					t.Errorf("%s: got Frames=%d, want 8", p.Text, p.Frames)
				}
			}
		})
	}
}

func TestWindow(t *testing.T) {
	// The car is seen at 0..500 ms, then again after an empty gap.
	seen := func(start int) []frame {
		var r []Observation
		for range 6 {
			r = append(r, rd("7ABC123", 80))
		}
		return car(start, 100, 100, r...)
	}
	tests := []struct {
		name       string
		cfg        Config
		gap        int // ms from the last sight to the next
		wantPasses int
	}{
		{"back within the window", Config{}, 800, 1},
		{"back after the window", Config{}, 1500, 2},
		{"back after a longer window", Config{Window: 2 * time.Second}, 1500, 1},
		{"frame window closes first", Config{WindowFrames: 3}, 800, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := seen(0)
			// Empty frames at 10 fps in the gap.
			for ms := 600; ms < 500+tt.gap; ms += 100 {
				frames = append(frames, frame{ms: ms})
			}
			frames = append(frames, seen(500+tt.gap)...)
			ps := run(tt.cfg, frames, true)
			if len(ps) != tt.wantPasses {
				t.Fatalf("got %d passes, want %d", len(ps), tt.wantPasses)
			}
			for _, p := range ps {
				if p.Text != "7ABC123" {
					t.Errorf("got %q, want %q", p.Text, "7ABC123")
				}
			}
		})
	}
}

func TestClosesAfterWindow(t *testing.T) {
	tr := New(Config{Window: time.Second})
	for _, f := range car(0, 100, 100, rd("7ABC123", 80), rd("7ABC123", 80)) {
		if ps := tr.Add(at(f.ms), f.obs...); len(ps) != 0 {
			t.Fatalf("at %d ms: got %d passes, want 0", f.ms, len(ps))
		}
	}
	// Last seen at 100 ms: open at 1100 ms exactly, closed after.
	if ps := tr.Add(at(1100)); len(ps) != 0 || tr.Open() != 1 {
		t.Fatalf("at 1100 ms: got %d passes, %d open, want 0 and 1", len(ps), tr.Open())
	}
	ps := tr.Add(at(1101))
	if len(ps) != 1 || tr.Open() != 0 {
		t.Fatalf("at 1101 ms: got %d passes, %d open, want 1 and 0", len(ps), tr.Open())
	}
	if ps[0].Reason != ReasonGone || ps[0].Frames != 2 {
		t.Errorf("got reason %v frames %d, want gone 2", ps[0].Reason, ps[0].Frames)
	}
}

func TestMaxAge(t *testing.T) {
	// A parked car read every 200 ms for 12 s.
	var frames []frame
	for ms := 0; ms < 12000; ms += 200 {
		frames = append(frames, frame{ms, []Observation{ob(ms, "7ABC123", 80, 300, 300)}})
	}
	ps := run(Config{MaxAge: 5 * time.Second}, frames, true)
	if len(ps) != 3 {
		t.Fatalf("got %d passes, want 3", len(ps))
	}
	want := []struct {
		reason      Reason
		first, last int
	}{{ReasonMaxAge, 0, 4800}, {ReasonMaxAge, 5000, 9800}, {ReasonFlush, 10000, 11800}}
	for i, w := range want {
		p := ps[i]
		if p.Reason != w.reason || !p.First.Equal(at(w.first)) || !p.Last.Equal(at(w.last)) || p.Text != "7ABC123" {
			t.Errorf("pass %d: got %q %v %v..%v, want 7ABC123 %v %v..%v", i, p.Text, p.Reason,
				p.First.Sub(t0), p.Last.Sub(t0), w.reason, at(w.first).Sub(t0), at(w.last).Sub(t0))
		}
	}
}

func TestFlush(t *testing.T) {
	tr := New(Config{MinFrames: 3})
	tr.Add(at(0), ob(0, "7ABC123", 80, 100, 100), ob(0, "5XYZ987", 70, 700, 100))
	tr.Add(at(100), ob(100, "7ABC123", 80, 110, 105))
	if got := tr.Open(); got != 2 {
		t.Fatalf("got %d open, want 2", got)
	}
	ps := tr.Flush()
	if len(ps) != 2 || tr.Open() != 0 {
		t.Fatalf("got %d passes, %d open, want 2 and 0", len(ps), tr.Open())
	}
	for _, p := range ps {
		if p.Reason != ReasonFlush {
			t.Errorf("%s: got reason %v, want flush", p.Text, p.Reason)
		}
		if !p.Short {
			t.Errorf("%s: got Short=false with %d frames, want true (MinFrames 3)", p.Text, p.Frames)
		}
	}
	if ps := tr.Flush(); ps != nil {
		t.Errorf("second flush: got %v, want nil", ps)
	}
}

func TestBestClosest(t *testing.T) {
	// No reading equals the vote 7ABC123: the two that differ by one
	// confusable character tie on distance, the more confident wins.
	r1 := rd("7A8C123", 90)
	r1.Meta = "r1"
	frames := car(0, 100, 100, r1, rd("TABC123", 60), rd("7ABC1Z3", 70), rd("7ABC1Z3", 40))
	ps := run(Config{}, frames, true)
	if len(ps) != 1 {
		t.Fatalf("got %d passes, want 1", len(ps))
	}
	if ps[0].Text != "7ABC123" {
		t.Errorf("got %q, want %q", ps[0].Text, "7ABC123")
	}
	if ps[0].Best.Meta != "r1" {
		t.Errorf("got best %q %v, want 7A8C123 90", ps[0].Best.Plate.Reading.Text, ps[0].Best.Plate.Reading.Confidence)
	}
}

func TestOutOfOrder(t *testing.T) {
	t.Run("late frame joins its track", func(t *testing.T) {
		fs := noisyCar(0, 100, 100)
		fs[3], fs[4] = fs[4], fs[3] // frame at 400 ms arrives before 300 ms
		fs[7], fs[8] = fs[8], fs[7]
		ps := run(Config{}, fs, true)
		if len(ps) != 1 || ps[0].Text != "7ABC123" || ps[0].Frames != 10 {
			t.Fatalf("got %d passes %q, want one 7ABC123 of 10 frames", len(ps), texts(ps))
		}
		if !ps[0].First.Equal(at(0)) || !ps[0].Last.Equal(at(900)) {
			t.Errorf("got %v..%v, want 0s..900ms", ps[0].First.Sub(t0), ps[0].Last.Sub(t0))
		}
	})
	t.Run("now going back a little", func(t *testing.T) {
		tr := New(Config{})
		tr.Add(at(0), ob(0, "7ABC123", 80, 100, 100))
		tr.Add(at(200), ob(200, "7ABC123", 80, 130, 116))
		// A worker delivers the 100 ms frame late, with its own time.
		if ps := tr.Add(at(100), ob(100, "7ABC123", 80, 115, 108)); len(ps) != 0 || tr.Open() != 1 {
			t.Fatalf("got %d passes %d open, want 0 and 1", len(ps), tr.Open())
		}
		ps := tr.Add(at(1300))
		if len(ps) != 1 || ps[0].Frames != 3 {
			t.Fatalf("got %d passes, want 1 of 3 frames", len(ps))
		}
	})
	t.Run("observation older than the window", func(t *testing.T) {
		tr := New(Config{})
		tr.Add(at(5000), ob(5000, "7ABC123", 80, 100, 100))
		tr.Add(at(5000), ob(3000, "7ABC123", 80, 100, 100))
		if got := tr.Open(); got != 2 {
			t.Errorf("got %d open, want 2", got)
		}
		ps := tr.Add(at(5100))
		if len(ps) != 1 || !ps[0].First.Equal(at(3000)) {
			t.Fatalf("got %d passes, want the stale one alone", len(ps))
		}
	})
	t.Run("clock stepped back", func(t *testing.T) {
		tr := New(Config{})
		tr.Add(at(60000), ob(60000, "7ABC123", 80, 100, 100))
		ps := tr.Add(at(0), ob(0, "5XYZ987", 80, 100, 100))
		if len(ps) != 1 || ps[0].Reason != ReasonFlush || ps[0].Text != "7ABC123" {
			t.Fatalf("got %d passes %q, want 7ABC123 flushed", len(ps), texts(ps))
		}
		if ps := tr.Add(at(1500)); len(ps) != 1 || ps[0].Text != "5XYZ987" {
			t.Fatalf("got %q, want 5XYZ987 closed on the new clock", texts(ps))
		}
	})
}

func TestZeroTime(t *testing.T) {
	tr := New(Config{})
	obs := []Observation{ob(0, "7ABC123", 80, 100, 100)}
	obs[0].Time = time.Time{}
	tr.Add(at(500), obs...)
	if !obs[0].Time.IsZero() {
		t.Errorf("got the caller's observation changed to %v, want it left zero", obs[0].Time)
	}
	ps := tr.Add(at(1600))
	if len(ps) != 1 || !ps[0].First.Equal(at(500)) || !ps[0].Best.Time.Equal(at(500)) {
		t.Fatalf("got %d passes, want one first seen at now (500 ms)", len(ps))
	}
	// A zero now takes the latest observation time.
	tr.Add(time.Time{}, ob(2000, "5XYZ987", 80, 100, 100))
	if ps := tr.Add(time.Time{}); len(ps) != 0 {
		t.Errorf("got %d passes from a zero now, want 0", len(ps))
	}
	if ps := tr.Add(at(3001)); len(ps) != 1 {
		t.Errorf("got %d passes, want 1", len(ps))
	}
}

func TestDuplicateDetection(t *testing.T) {
	var frames []frame
	for i := range 5 {
		ms := 100 * i
		frames = append(frames, frame{ms, []Observation{
			ob(ms, "7ABC123", 80, 100+10*i, 100),
			ob(ms, "7ABC123", 60, 104+10*i, 102), // the same plate, detected twice
		}})
	}
	ps := run(Config{}, frames, true)
	if len(ps) != 1 || ps[0].Frames != 5 {
		t.Fatalf("got %d passes (%v), want 1 of 5 frames", len(ps), texts(ps))
	}
}

func TestMaxTracks(t *testing.T) {
	tr := New(Config{MaxTracks: 2})
	tr.Add(at(0), ob(0, "1AAA111", 80, 0, 0))
	tr.Add(at(100), ob(100, "2BBB222", 80, 500, 0))
	ps := tr.Add(at(200), ob(200, "3CCC333", 80, 1000, 0))
	if len(ps) != 1 || ps[0].Text != "1AAA111" || ps[0].Reason != ReasonEvicted {
		t.Fatalf("got %q, want 1AAA111 evicted", texts(ps))
	}
	if got := tr.Open(); got != 2 {
		t.Errorf("got %d open, want 2", got)
	}
}

func TestEmptyTexts(t *testing.T) {
	frames := car(0, 100, 100, rd("", 0), rd("", 10))
	ps := run(Config{}, frames, true)
	if len(ps) != 1 || ps[0].Text != "" || ps[0].Confidence != 0 || ps[0].Candidates != nil {
		t.Fatalf("got %+v, want one empty pass", ps)
	}
	if ps[0].Best.Plate.Reading.Confidence != 10 {
		t.Errorf("got best confidence %v, want 10", ps[0].Best.Plate.Reading.Confidence)
	}
}

// TestRandom feeds odd input and checks that nothing panics, that every
// observation ends in a pass and that the result is deterministic.
func TestRandom(t *testing.T) {
	gen := func() ([]frame, int) {
		rng := rand.New(rand.NewPCG(1, 2))
		alphabet := "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		var fs []frame
		n := 0
		for i := range 3000 {
			ms := 33*i + rng.IntN(200) - 100 // jitter: out of order
			if rng.IntN(50) == 0 {
				ms -= 5000 // very late
			}
			var obs []Observation
			for range rng.IntN(4) {
				b := make([]byte, rng.IntN(10))
				for k := range b {
					b[k] = alphabet[rng.IntN(len(alphabet))]
				}
				conf := rng.Float64()*120 - 10
				if rng.IntN(100) == 0 {
					conf = math.NaN()
				}
				o := ob(ms, string(b), conf, rng.IntN(1900), rng.IntN(1000))
				switch rng.IntN(20) {
				case 0:
					o.Plate.Region.Box = image.Rectangle{}
				case 1:
					o.Time = time.Time{}
				}
				obs = append(obs, o)
				n++
			}
			fs = append(fs, frame{33 * i, obs})
		}
		return fs, n
	}
	fs, n := gen()
	a := run(Config{MaxTracks: 8, MaxAge: 3 * time.Second, MaxCandidates: 3}, fs, true)
	fs, _ = gen()
	b := run(Config{MaxTracks: 8, MaxAge: 3 * time.Second, MaxCandidates: 3}, fs, true)
	// Summaries, as the observations hold NaN confidences and distinct crops.
	sum := func(ps []Pass) []string {
		var s []string
		for _, p := range ps {
			s = append(s, fmt.Sprint(p.Text, p.Confidence, p.Candidates, p.Frames, p.Short, p.First, p.Last, p.Reason,
				p.Best.Time, p.Best.Seq, p.Best.Plate.Region, p.Best.Plate.Reading))
		}
		return s
	}
	if !slices.Equal(sum(a), sum(b)) {
		t.Errorf("got different passes from the same input")
	}
	var frames int
	for _, p := range a {
		frames += p.Frames
		if p.Text != "" && p.Candidates[0].Text != p.Text {
			t.Fatalf("got candidates %v for %q, want it first", p.Candidates, p.Text)
		}
		if len(p.Candidates) > 3 {
			t.Fatalf("got %d candidates, want at most 3", len(p.Candidates))
		}
		if p.Confidence < 0 || p.Confidence > 100 || math.IsNaN(p.Confidence) {
			t.Fatalf("got confidence %v, want 0..100", p.Confidence)
		}
	}
	// Duplicates add readings, not frames; random boxes rarely overlap.
	if frames > n || frames < n*9/10 {
		t.Errorf("got %d frames in passes, want about %d observations", frames, n)
	}
}

func BenchmarkAdd(b *testing.B) {
	// 20 cars on a 5x4 grid of a 1920x1080 frame, all in view, drifting; 3
	// plates read per frame at 30 fps, so each car is seen every ~230 ms and
	// 20 tracks stay open (closing every MaxAge).
	const cars = 20
	plates := [cars]string{
		"7ABC123", "5XYZ987", "4KLM555", "8TRD402", "6GHJ218", "3PQR771", "9WVU036", "2NMB649",
		"1FDS380", "7LKJ914", "5EEH257", "8CVB703", "4RTY166", "6UIO828", "3ASD591", "9ZXC045",
		"2QWE372", "1JKL689", "7MNB230", "5POI847",
	}
	var base, partial [cars]Observation // read in full, read short
	for i, text := range plates {
		base[i] = ob(0, text, 70+float64(i), 0, 0)
		partial[i] = ob(0, text[:len(text)-1], 60, 0, 0)
	}
	tr := New(Config{})
	obs := make([]Observation, 3)
	frame := 0
	step := func() {
		ms := 33 * frame
		for k := range obs {
			c := (3*frame + k) % cars
			x, y := 100+(c%5)*350+(frame%300), 100+(c/5)*240+(frame%300)/4
			o := base[c]
			if frame%7 == 0 {
				o = partial[c]
			}
			o.Time, o.Seq = at(ms), uint64(frame)
			o.Plate.Region.Box = image.Rect(x, y, x+120, y+30)
			obs[k] = o
		}
		tr.Add(at(ms), obs...)
		frame++
	}
	for range 60 {
		step()
	}
	if got := tr.Open(); got != cars {
		b.Fatalf("got %d open tracks, want %d", got, cars)
	}
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}
