package track

import (
	"image"
	"math"
	"slices"
	"testing"
	"time"

	"alprd/ocr"
)

func TestDist(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"", "", 0},
		{"ABC", "ABC", 0},
		{"ABC", "", 3},
		{"7ABC123", "7A8C123", nearCost},
		{"7ABC123", "TABC123", 1},
		{"7ABC123", "7ABC12", 1},
		{"O0D", "0DO", 3 * nearCost},
		{"SZG", "526", 3 * nearCost},
		{"I", "1", nearCost},
		{"ABCD", "BCDA", 2},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := dist(tt.a, tt.b); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("dist(%q, %q): got %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := dist(tt.b, tt.a); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("dist(%q, %q): got %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
	long := string(make([]byte, 40))
	if got := dist(long, long[:35]); got != 5 {
		t.Errorf("dist of long texts: got %v, want 5", got)
	}
}

func TestAlign(t *testing.T) {
	tests := []struct {
		ref, s string
		want   []int
	}{
		{"7ABC123", "7ABC12", []int{0, 1, 2, 3, 4, 5, -1}},
		{"7ABC123", "ABC123", []int{-1, 0, 1, 2, 3, 4, 5}},
		{"7ABC123", "7ABXC123", []int{0, 1, 2, 4, 5, 6, 7}},
		{"7ABC123", "7A8C123", []int{0, 1, 2, 3, 4, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			got, _ := align(tt.ref, tt.s)
			if !slices.Equal(got, tt.want) {
				t.Errorf("align(%q, %q): got %v, want %v", tt.ref, tt.s, got, tt.want)
			}
		})
	}
}

func reads(rs ...any) []reading {
	var out []reading
	for i := 0; i < len(rs); i += 2 {
		out = append(out, reading{text: rs[i].(string), conf: float64(rs[i+1].(int))})
	}
	return out
}

func TestVote(t *testing.T) {
	tests := []struct {
		name  string
		reads []reading
		want  string
	}{
		{"none", nil, ""},
		{"all empty", reads("", 50, "", 0), ""},
		{"one", reads("7ABC123", 80), "7ABC123"},
		{"majority per position", reads("7ABC123", 80, "7A8C123", 80, "7ABC1Z3", 80), "7ABC123"},
		{"no reading exact", reads("7A8C123", 90, "TABC123", 60, "7ABC1Z3", 70), "7ABC123"},
		{"confidence outweighs count", reads("7ABC123", 90, "7ABC128", 20, "7ABC128", 20), "7ABC123"},
		{"length of the confident readings", reads("7ABC12", 30, "7ABC12", 30, "7ABC12", 30, "7ABC123", 90), "7ABC123"},
		{"shorter readings vote aligned", reads("7ABC123", 70, "7A8C123", 71, "7ABC12", 60, "ABC123", 60), "7ABC123"},
		{"unlike readings ignored", reads("7ABC123", 60, "XYZ", 60), "7ABC123"},
		{"zero confidence still votes", reads("7ABC123", 0, "7ABC123", 0, "7A8C123", 0), "7ABC123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := vote(tt.reads, 10).text; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVoteAlternatives(t *testing.T) {
	// Two equally confident readings disagree at one position; the first
	// one's engine offered the other's character as its runner-up, so that
	// character wins.
	rs := []reading{
		{text: "7A8C123", conf: 80, cands: []ocr.Candidate{{Text: "7A8C123", Confidence: 80}, {Text: "7ABC123", Confidence: 70}}},
		{text: "7ABC123", conf: 80},
	}
	v := vote(rs, 10)
	if v.text != "7ABC123" {
		t.Errorf("got %q, want %q", v.text, "7ABC123")
	}
	if len(v.cands) < 2 || v.cands[1].Text != "7A8C123" {
		t.Errorf("got candidates %v, want 7A8C123 second", v.cands)
	}
}

func TestVoteConfidence(t *testing.T) {
	tests := []struct {
		name  string
		reads []reading
		want  float64
	}{
		{"agreeing readings keep their confidence", reads("7ABC123", 80, "7ABC123", 80), 80},
		{"one split position halves it", reads("7ABC123", 80, "7ABC128", 80), 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := vote(tt.reads, 10).conf; math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestManyAlternativesDoNotOutvote: one reading whose candidates share an
// alternative character at one position (as a reader's top-N lists do) still
// votes for its own text.
func TestManyAlternativesDoNotOutvote(t *testing.T) {
	tr := New(Config{})
	p := ocr.Plate{Region: ocr.Region{Box: image.Rect(100, 100, 220, 160)}, Reading: ocr.Reading{
		Text: "JWG9249", Confidence: 100,
		Candidates: []ocr.Candidate{{Text: "JWG9249", Confidence: 100}, {Text: "JW69249", Confidence: 100},
			{Text: "JW69299", Confidence: 95}, {Text: "JW69240", Confidence: 95}, {Text: "QW69249", Confidence: 95}, {Text: "0W69249", Confidence: 90}},
	}}
	now := time.Unix(1000, 0)
	tr.Add(now, Observation{Time: now, Plate: p})
	passes := tr.Flush()
	if len(passes) != 1 || passes[0].Text != "JWG9249" {
		t.Fatalf("got %+v, want one pass voting JWG9249", passes)
	}
}

// TestDifferentPlatesSamePlace: two cars whose plates sit in the same place
// in consecutive frames (the next car in the lane) make two passes.
func TestDifferentPlatesSamePlace(t *testing.T) {
	tr := New(Config{})
	box := image.Rect(500, 400, 640, 470)
	now := time.Unix(1000, 0)
	for i, text := range []string{"NXX3006", "NXX3006", "VME2079", "VME2079"} {
		at := now.Add(time.Duration(i) * 100 * time.Millisecond)
		tr.Add(at, Observation{Time: at, Seq: uint64(i + 1), Plate: ocr.Plate{Region: ocr.Region{Box: box},
			Reading: ocr.Reading{Text: text, Confidence: 95, Candidates: []ocr.Candidate{{Text: text, Confidence: 95}}}}})
	}
	passes := tr.Flush()
	var got []string
	for _, p := range passes {
		got = append(got, p.Text)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"NXX3006", "VME2079"}) {
		t.Errorf("got passes %v, want NXX3006 and VME2079", got)
	}
}

// TestAlternativesKeepConfidence: a reading seen once keeps its own
// confidence; its alternatives rank the runners-up but do not lower it.
func TestAlternativesKeepConfidence(t *testing.T) {
	tr := New(Config{})
	now := time.Unix(1000, 0)
	tr.Add(now, Observation{Time: now, Plate: ocr.Plate{Region: ocr.Region{Box: image.Rect(0, 0, 140, 70)}, Reading: ocr.Reading{
		Text: "UYZ0511", Confidence: 96,
		Candidates: []ocr.Candidate{{Text: "UYZ0511", Confidence: 96}, {Text: "UY20511", Confidence: 90}, {Text: "UYZO511", Confidence: 85}, {Text: "UYZ05II", Confidence: 80}},
	}}})
	passes := tr.Flush()
	if len(passes) != 1 {
		t.Fatalf("got %d passes, want 1", len(passes))
	}
	if p := passes[0]; p.Text != "UYZ0511" || math.Abs(p.Confidence-96) > 0.01 {
		t.Errorf("got %s at %.2f, want UYZ0511 at 96", p.Text, p.Confidence)
	}
	if p := passes[0]; len(p.Candidates) < 2 || p.Candidates[1].Confidence >= p.Candidates[0].Confidence {
		t.Errorf("candidates %v: want runners-up below the vote", p.Candidates)
	}
}
