package hotlist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"alprd/firmware/record"
	"alprd/ocr"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func ms(t time.Time) record.Millis { return record.Millis(t) }

func TestMatchKinds(t *testing.T) {
	list := must[*List](t)(NewList([]record.HotEntry{
		entry("7ABC123", "CA", "SV"),
		entry("8OBD100", "", "FV"),
		entry("NOSTATE", "", "SP"),
		{Plate: "5XYZ987", State: "CA", Type: "AA", Expires: ms(now.Add(-time.Minute))},
		{Plate: "6KLM555", State: "CA", Type: "SV", Expires: ms(now.Add(time.Minute))},
		entry("AB1", "CA", "OT"),
		entry("ZZ9", "NV", "OT"),
	}))
	type want struct {
		plate, kind string
		score       float64
	}
	for _, tc := range []struct {
		name  string
		cands []string // confidences 90, 80, 70...
		state string
		want  []want
	}{
		{"exact", []string{"7ABC123"}, "CA", []want{{"7ABC123", record.MatchExact, 0.9}}},
		{"exact on a lower candidate", []string{"7A8C12", "7ABC123"}, "CA", []want{{"7ABC123", record.MatchExact, 0.8}}},
		{"exact, read without state", []string{"7ABC123"}, "", []want{{"7ABC123", record.MatchExact, 0.9}}},
		{"exact, normalised candidate", []string{"7abc-123"}, "CA", []want{{"7ABC123", record.MatchExact, 0.9}}},
		{"confusable B/8", []string{"7A8C123"}, "CA", []want{{"7ABC123", record.MatchTolerant, 0.9 * 0.9}}},
		{"confusables O/0/D/Q, 1/I and B/8", []string{"8080I0Q"}, "", []want{{"8OBD100", record.MatchTolerant, 0.9 * 0.9}}},
		{"one substitution", []string{"7ABX123"}, "CA", []want{{"7ABC123", record.MatchTolerant, 0.9 * 0.7}}},
		{"one deletion in the read", []string{"7AB123"}, "CA", []want{{"7ABC123", record.MatchTolerant, 0.9 * 0.7}}},
		{"one insertion in the read", []string{"7ABCC123"}, "CA", []want{{"7ABC123", record.MatchTolerant, 0.9 * 0.7}}},
		{"first character missing", []string{"ABC123"}, "CA", []want{{"7ABC123", record.MatchTolerant, 0.9 * 0.7}}},
		{"last character extra", []string{"7ABC1234"}, "CA", []want{{"7ABC123", record.MatchTolerant, 0.9 * 0.7}}},
		{"confusable plus one edit", []string{"7A8C12"}, "CA", []want{{"7ABC123", record.MatchTolerant, 0.9 * 0.7}}},
		{"two edits", []string{"7AXC12"}, "CA", nil},
		{"two substitutions", []string{"7XBC1Y3"}, "CA", nil},
		{"state mismatch", []string{"7ABC123"}, "NV", nil},
		{"entry without state matches any state", []string{"NOSTATE"}, "NV", []want{{"NOSTATE", record.MatchExact, 0.9}}},
		{"expired", []string{"5XYZ987"}, "CA", nil},
		{"not yet expired", []string{"6KLM555"}, "CA", []want{{"6KLM555", record.MatchExact, 0.9}}},
		{"short plate: confusable", []string{"A81"}, "CA", []want{{"AB1", record.MatchTolerant, 0.9 * 0.9}}},
		{"short plate: no edit", []string{"AB"}, "CA", nil},
		{"short plate: no substitution", []string{"AX1"}, "CA", nil},
		{"invalid candidates skipped", []string{"#?!", "7ABC123"}, "CA", []want{{"7ABC123", record.MatchExact, 0.8}}},
		{"exact beats tolerant of a better candidate", []string{"7A8C123", "7ABC123"}, "CA", []want{{"7ABC123", record.MatchExact, 0.8}}},
		{"two entries, best first", []string{"7ABC123", "NOSTATE"}, "CA", []want{{"7ABC123", record.MatchExact, 0.9}, {"NOSTATE", record.MatchExact, 0.8}}},
		{"no candidates", nil, "CA", nil},
	} {
		var cands []ocr.Candidate
		for i, c := range tc.cands {
			cands = append(cands, ocr.Candidate{Text: c, Confidence: 90 - 10*float64(i)})
		}
		got := list.Match(cands, tc.state, now)
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %d hits %v, want %d", tc.name, len(got), got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			g := got[i]
			if g.Entry.Plate != w.plate || g.Kind != w.kind || math.Abs(g.Score-w.score) > 1e-9 {
				t.Errorf("%s: hit %d: got %s %s %.3f, want %s %s %.3f", tc.name, i, g.Entry.Plate, g.Kind, g.Score, w.plate, w.kind, w.score)
			}
			if g.Matched == "" {
				t.Errorf("%s: hit %d: Matched is empty", tc.name, i)
			}
		}
	}
}

func TestMatchWeightsWithoutConfidence(t *testing.T) {
	list := must[*List](t)(NewList([]record.HotEntry{entry("7ABC123", "", "SV")}))
	got := list.Match([]ocr.Candidate{{Text: "XXXXXXX"}, {Text: "7ABC123"}}, "", now)
	if len(got) != 1 || got[0].Score != 0.5 || got[0].Matched != "7ABC123" {
		t.Errorf("got %v, want one exact hit of score 0.5 (rank 1) matched by 7ABC123", got)
	}
}

// refMatch is the matching rule of docs/hotlist-format.md, the slow way.
func refMatch(entries []record.HotEntry, cands []ocr.Candidate, state string, at time.Time) map[string]string {
	out := map[string]string{}
	anyConf := false
	for _, c := range cands {
		anyConf = anyConf || c.Confidence > 0
	}
	for _, e := range entries {
		if !e.Expires.IsZero() && !time.Time(e.Expires).After(at) {
			continue
		}
		if state != "" && e.State != "" && e.State != state {
			continue
		}
		bestKind, best := "", -1.0
		for i, c := range cands {
			p, err := Normalize(c.Text)
			if err != nil {
				continue
			}
			w := 1 / float64(i+1)
			if anyConf {
				w = c.Confidence / 100
			}
			kind, f := "", 0.0
			switch {
			case p == e.Plate:
				kind, f = record.MatchExact, 1
			case len(p) == len(e.Plate) && classOf(p) == classOf(e.Plate):
				kind, f = record.MatchTolerant, 0.9
			case len(e.Plate) >= MinEditLen && len(p) >= len(e.Plate)-1 && len(p) <= len(e.Plate)+1 &&
				levenshtein(classOf(p), classOf(e.Plate)) <= 1:
				kind, f = record.MatchTolerant, 0.7
			default:
				continue
			}
			s := w * f
			if bestKind == "" || kind == record.MatchExact && bestKind != record.MatchExact || kind == bestKind && s > best {
				bestKind, best = kind, s
			}
		}
		if bestKind != "" {
			out[e.Plate+"/"+e.State+"/"+e.Type] = fmt.Sprintf("%s %.4f", bestKind, best)
		}
	}
	return out
}

func hitMap(hs []Hit) map[string]string {
	out := map[string]string{}
	for _, h := range hs {
		k := h.Entry.Plate + "/" + h.Entry.State + "/" + h.Entry.Type
		if _, dup := out[k]; dup {
			out[k] = "DUPLICATE HIT"
			continue
		}
		out[k] = fmt.Sprintf("%s %.4f", h.Kind, h.Score)
	}
	return out
}

// TestMatchAgainstBruteForce checks the index (class keys, pigeonhole
// ranges, directories) against the rule applied to every entry, on plates of
// a small alphabet so that near misses abound.
func TestMatchAgainstBruteForce(t *testing.T) {
	for _, n := range []int{50, 6000} { // without and with directories
		r := rand.New(rand.NewPCG(uint64(n), 3))
		const alphabet = "0OD1I8B5SAXY"
		seen := map[string]bool{}
		var entries []record.HotEntry
		for len(entries) < n {
			e := record.HotEntry{Plate: randPlate(r, alphabet, 2, 8), State: []string{"", "CA", "NV"}[r.IntN(3)], Type: "SV"}
			if r.IntN(10) == 0 {
				e.Expires = ms(now.Add(time.Duration(r.IntN(3)-1) * time.Hour))
			}
			if k := e.Plate + e.State; !seen[k] {
				seen[k] = true
				entries = append(entries, e)
			}
		}
		list := must[*List](t)(NewList(entries))
		if n > 4096 && list.dir == nil {
			t.Fatal("large list without directory")
		}
		for q := range max(300, 600000/n) {
			var cands []ocr.Candidate
			for i := range 1 + r.IntN(4) {
				text := randPlate(r, alphabet, 1, 9)
				if r.IntN(2) == 0 {
					text = entries[r.IntN(len(entries))].Plate
					b := []byte(text)
					b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
					text = string(b)
				}
				cands = append(cands, ocr.Candidate{Text: text, Confidence: float64(90 - 10*i)})
			}
			state := []string{"", "CA", "NV", "AZ"}[r.IntN(4)]
			got, want := hitMap(list.Match(cands, state, now)), refMatch(entries, cands, state, now)
			if len(got) != len(want) {
				t.Fatalf("n=%d query %d %v %q: got %d hits %v, want %d %v", n, q, cands, state, len(got), got, len(want), want)
			}
			for k, w := range want {
				if got[k] != w {
					t.Fatalf("n=%d query %d %v %q: entry %s: got %q, want %q", n, q, cands, state, k, got[k], w)
				}
			}
		}
	}
}

func TestNewListErrors(t *testing.T) {
	for _, tc := range []struct {
		e    record.HotEntry
		want string
	}{
		{entry("7AB-C!", "", "SV"), `plate "7AB-C!": character '!' not allowed`},
		{entry("7ABC123", "ca", "SV"), `state "ca": want empty or two upper-case letters`},
		{entry("7ABC123", "", ""), "type is required"},
		{entry("7ABC123", "", "XX"), `type "XX": unknown list type`},
		{record.HotEntry{Plate: "7ABC123", Type: "SV", Priority: 4}, "priority 4: want 1, 2 or 3"},
		{record.HotEntry{Plate: "7ABC123", Type: "SV", Reason: strings.Repeat("x", 201)}, "reason: 201 bytes, at most 200"},
		{record.HotEntry{Plate: "7ABC123", Type: "SV", Case: "\xff"}, "case: not valid UTF-8"},
	} {
		_, err := NewList([]record.HotEntry{tc.e})
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want ...%q", tc.e, err, tc.want)
		}
	}
	_, err := NewList([]record.HotEntry{entry("7ABC123", "CA", "SV"), entry("7ABC123", "CA", "SP"), entry("7abc123", "CA", "SV")})
	if want := "hotlist: entry 3: duplicate of entry 1 (7ABC123 CA SV)"; err == nil || err.Error() != want {
		t.Errorf("duplicate: got %v, want %q", err, want)
	}
}

func TestDefaultPriority(t *testing.T) {
	list := must[*List](t)(NewList([]record.HotEntry{entry("AAAAA1", "", "AA"), entry("SSSSS1", "", "SV"), entry("PPPPP1", "", "PO"),
		{Plate: "XXXXX1", Type: "PO", Priority: 1}}))
	want := map[string]int{"AAAAA1": 1, "SSSSS1": 2, "PPPPP1": 3, "XXXXX1": 1}
	for _, e := range list.Entries() {
		if e.Priority != want[e.Plate] {
			t.Errorf("%s %s: got priority %d, want %d", e.Plate, e.Type, e.Priority, want[e.Plate])
		}
	}
}
