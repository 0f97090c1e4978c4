package eval

import (
	"image"
	"math"
	"testing"
	"time"

	"alprd/ocr"
)

func TestIoU(t *testing.T) {
	r := image.Rect
	tests := []struct {
		name string
		a, b image.Rectangle
		want float64
	}{
		{"equal", r(10, 10, 110, 60), r(10, 10, 110, 60), 1},
		{"disjoint", r(0, 0, 10, 10), r(20, 20, 30, 30), 0},
		{"touching edges", r(0, 0, 10, 10), r(10, 0, 20, 10), 0},
		{"half shifted", r(0, 0, 10, 10), r(5, 0, 15, 10), 50.0 / 150},
		{"inside, a quarter", r(0, 0, 20, 20), r(5, 5, 15, 15), 0.25},
		{"margin 6 %", r(0, 0, 100, 50), r(-6, -3, 106, 53), 5000.0 / (112 * 56)},
		{"empty", r(0, 0, 0, 10), r(0, 0, 10, 10), 0},
		{"both empty", image.Rectangle{}, image.Rectangle{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IoU(tt.a, tt.b); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got := IoU(tt.b, tt.a); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("swapped: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEqualO0(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"ABC123", "ABC123", true},
		{"OYO9FEU", "0Y09FEU", true},
		{"0Y09FEU", "OYO9FEU", true},
		{"ABC1O3", "ABC103", true},
		{"", "", true},
		{"ABC123", "ABC12", false},
		{"I23", "123", false}, // only O/0
		{"Q0", "00", false},
		{"DOO", "D00X", false},
	}
	for _, tt := range tests {
		if got := EqualO0(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualO0(%q, %q): got %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func cands(texts ...string) []ocr.Candidate {
	var c []ocr.Candidate
	for i, s := range texts {
		c = append(c, ocr.Candidate{Text: s, Confidence: float64(90 - i)})
	}
	return c
}

func TestScore(t *testing.T) {
	label := image.Rect(100, 100, 200, 150)
	near := image.Rect(95, 97, 205, 153)    // IoU ~0.82
	loose := image.Rect(60, 90, 240, 160)   // IoU ~0.4
	touch := image.Rect(180, 100, 300, 150) // IoU 20*50/(5000+6000-1000) = 0.1
	far := image.Rect(500, 500, 600, 550)
	many := cands("X1", "X2", "X3", "X4", "X5", "X6", "X7", "X8", "X9", "X10", "ABC123")
	tests := []struct {
		name    string
		label   string // "" = "ABC123"
		regions []image.Rectangle
		plates  []Plate
		want    Outcome
	}{
		{"nothing", "", nil, nil, Outcome{Best: -1}},
		{"detected, reading dropped", "", []image.Rectangle{near}, nil,
			Outcome{Best: -1, Detected: true, Detected50: true}},
		{"loose region", "", []image.Rectangle{loose}, []Plate{{Box: loose, Text: "ABC123"}},
			Outcome{Best: 0, Detected: true, Found: true, Top1: true, Top1O0: true, Top10: true}},
		{"exact", "", []image.Rectangle{far, near}, []Plate{{Box: far, Text: "ZZZ999"}, {Box: near, Text: "ABC123", Candidates: cands("ABC123")}},
			Outcome{Best: 1, Detected: true, Detected50: true, Found: true, Top1: true, Top1O0: true, Top10: true}},
		{"best overlap wins over first", "", []image.Rectangle{loose, near}, []Plate{{Box: loose, Text: "ABC12"}, {Box: near, Text: "AB0123", Candidates: cands("AB0123", "ABC123")}},
			Outcome{Best: 1, Detected: true, Detected50: true, Found: true, Top10: true}},
		{"wrong reads", "", []image.Rectangle{near}, []Plate{{Box: near, Text: "ABCI23"}, {Box: near, Text: "ABO123"}},
			Outcome{Best: 0, Detected: true, Detected50: true, Found: true}},
		{"O=0 only", "OYO9FEU", []image.Rectangle{near}, []Plate{{Box: near, Text: "0YO9FEU"}},
			Outcome{Best: 0, Detected: true, Detected50: true, Found: true, Top1O0: true}},
		{"top-10 from another overlapping plate", "", []image.Rectangle{near, touch}, []Plate{{Box: near, Text: "ABC128"}, {Box: touch, Text: "C123", Candidates: cands("C123", "ABC123")}},
			Outcome{Best: 0, Detected: true, Detected50: true, Found: true, Top10: true}},
		{"11th candidate is out", "", []image.Rectangle{near}, []Plate{{Box: near, Text: "X1", Candidates: many}},
			Outcome{Best: 0, Detected: true, Detected50: true, Found: true}},
		{"10th candidate is in", "", []image.Rectangle{near}, []Plate{{Box: near, Text: "X2", Candidates: many[1:]}},
			Outcome{Best: 0, Detected: true, Detected50: true, Found: true, Top10: true}},
		{"only a touching plate: best, not found", "", []image.Rectangle{touch}, []Plate{{Box: touch, Text: "ABC123"}},
			Outcome{Best: 0, Top1: true, Top1O0: true, Top10: true}},
		{"no overlap: first plate is best", "", []image.Rectangle{far, far}, []Plate{{Box: far, Text: "ABC123"}, {Box: far, Text: "ZZZ"}},
			Outcome{Best: 0, Top1: true, Top1O0: true, Top10: true}},
		{"no overlap: other plates do not count for top-10", "", []image.Rectangle{far}, []Plate{{Box: far, Text: "ZZZ"}, {Box: far, Text: "ABC123"}},
			Outcome{Best: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.label
			if text == "" {
				text = "ABC123"
			}
			got := Score(label, text, tt.regions, tt.plates)
			tt.want.BestIoU = got.BestIoU // checked below
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			for i, p := range tt.plates {
				if want := IoU(p.Box, label); p.IoU != want {
					t.Errorf("plate %d: got IoU %v, want %v", i, p.IoU, want)
				}
			}
			if got.Best >= 0 && got.BestIoU != tt.plates[got.Best].IoU {
				t.Errorf("got best IoU %v, want %v", got.BestIoU, tt.plates[got.Best].IoU)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		name string
		d    []time.Duration
		q    float64
		want time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one", ms(7), 0.9, 7 * time.Millisecond},
		{"odd median", ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{"even median", ms(4, 1, 3, 2), 0.5, 2500 * time.Microsecond},
		{"p90 of 1..11", ms(11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 0.9, 10 * time.Millisecond},
		{"p90 of 1..10", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9, 9100 * time.Microsecond},
		{"max", ms(1, 2, 3), 1, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quantile(tt.d, tt.q); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	d := ms(3, 1, 2)
	Quantile(d, 0.5)
	if d[0] != 3*time.Millisecond {
		t.Errorf("Quantile sorted its argument: got %v, want [3ms 1ms 2ms]", d)
	}
}

func TestStatusKB(t *testing.T) {
	status := []byte("Name:\talpreval\nVmPeak:\t  812340 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 100 kB\n")
	tests := []struct {
		key  string
		want int64
		ok   bool
	}{
		{"VmHWM", 123456, true},
		{"VmRSS", 100, true},
		{"Name", 0, false},
		{"VmSwap", 0, false},
	}
	for _, tt := range tests {
		got, ok := statusKB(status, tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("statusKB(%s): got %d %v, want %d %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}
