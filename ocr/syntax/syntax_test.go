package syntax

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"alprd/ocr"
)

func mustNew(t testing.TB, regions ...string) *Corrector {
	t.Helper()
	c, err := New(regions...)
	if err != nil {
		t.Fatalf("New(%q): %v", regions, err)
	}
	return c
}

// cand is a candidate.
func cand(text string, conf float64) ocr.Candidate {
	return ocr.Candidate{Text: text, Confidence: conf}
}

// read is a reading with one candidate, as a Reader returns it.
func read(text string, conf float64) ocr.Reading {
	return ocr.Reading{
		Text:       text,
		Raw:        " " + strings.ToLower(text) + "\n",
		Confidence: conf,
		Candidates: []ocr.Candidate{{Text: text, Confidence: conf}},
	}
}

func TestEmbeddedTemplatesParse(t *testing.T) {
	entries, err := templateFiles.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			name := "templates/" + e.Name()
			data, err := templateFiles.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			ts, err := parse(name, data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(ts) == 0 {
				t.Fatalf("got no templates, want some")
			}
		})
	}
	ts, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	// Every example fits its own jurisdiction.
	for _, tpl := range ts {
		c := mustNew(t, tpl.jurisdiction)
		if js := c.Jurisdictions(tpl.example); !slices.Contains(js, tpl.jurisdiction) {
			t.Errorf("%s:%d: Jurisdictions(%q) = %q, want it to hold %s", tpl.file, tpl.line, tpl.example, js, tpl.jurisdiction)
		}
	}
}

func TestUSJurisdictions(t *testing.T) {
	states := strings.Fields(`al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn
		ms mo mt ne nv nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy`)
	if got, want := len(states), 51; got != want {
		t.Fatalf("got %d states in the test, want %d", got, want)
	}
	known := Regions()
	for _, s := range states {
		if !slices.Contains(known, "us-"+s) {
			t.Errorf("Regions() lacks us-%s", s)
		}
	}
	var us []string
	for _, r := range known {
		if strings.HasPrefix(r, "us-") {
			us = append(us, r)
		}
	}
	if got, want := len(us), len(states); got != want {
		t.Errorf("got %d US jurisdictions %q, want %d", got, us, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"too few fields", "us-ca DLLLDDD\n", "templates/us.txt:1: want JURISDICTION PATTERN EXAMPLE"},
		{"unknown class", "# c\n\nus-ca DLXLDDD 7ABC123\n", `templates/us.txt:3: pattern "DLXLDDD": unknown class 'X' at 3`},
		{"lower-case class", "us-ca dlllddd 7ABC123\n", `templates/us.txt:1: pattern "dlllddd": unknown class 'd'`},
		{"leading separator", "us-ca -DLLLDDD 7ABC123\n", "templates/us.txt:1: pattern \"-DLLLDDD\": separator"},
		{"double separator", "us-ca D--LLLDDD 7ABC123\n", "templates/us.txt:1: pattern \"D--LLLDDD\": separator"},
		{"trailing separator", "us-ca DLLLDDD. 7ABC123\n", "templates/us.txt:1: pattern \"DLLLDDD.\": pattern must end with a class"},
		{"too long", "us-ca DDDDDDDDDDD 12345678901\n", "templates/us.txt:1: pattern \"DDDDDDDDDDD\": 11 classes"},
		{"too short", "us-ca D 1\n", "templates/us.txt:1: pattern \"D\": 1 classes"},
		{"other region", "eu-sk LLDDDLL BA123AB\n", `templates/us.txt:1: jurisdiction "eu-sk"`},
		{"bad code", "us-c4 DLLLDDD 7ABC123\n", `templates/us.txt:1: jurisdiction "us-c4"`},
		{"upper-case code", "US-CA DLLLDDD 7ABC123\n", `templates/us.txt:1: jurisdiction "US-CA"`},
		{"example misfit", "us-ca\tD-LLL-DDD\t7AB1234\tnote\n", `templates/us.txt:1: example "7AB1234" does not fit pattern "D-LLL-DDD"`},
		{"example lower case", "us-ca DLLLDDD 7abc123\n", `templates/us.txt:1: example "7abc123": want upper-case`},
		{"duplicate", "us-ca DLLLDDD 7ABC123\nus-ca D-LLL-DDD 8ABC123\n", `templates/us.txt:2: pattern "D-LLL-DDD" for us-ca repeats line 1`},
		{"empty", "# nothing\n", "templates/us.txt: no templates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("templates/us.txt", []byte(tt.data))
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAcceptsComments(t *testing.T) {
	data := "# header\r\nus-ca  D-LLL.DDD  7ABC123  passenger # trailing comment\r\n\r\nus  LLL-DDD  ABC123\n"
	ts, err := parse("templates/us.txt", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(ts), 2; got != want {
		t.Fatalf("got %d templates, want %d", got, want)
	}
	if got, want := ts[0].classes, "DLLLDDD"; got != want {
		t.Errorf("got classes %q, want %q", got, want)
	}
	if got, want := ts[0].note, "passenger"; got != want {
		t.Errorf("got note %q, want %q", got, want)
	}
	if got, want := ts[1].line, 4; got != want {
		t.Errorf("got line %d, want %d", got, want)
	}
}

func TestLoadFSErrorNamesFile(t *testing.T) {
	fsys := fstest.MapFS{
		"t/br.txt": {Data: []byte("br LLLDDDD ABC1234\n")},
		"t/us.txt": {Data: []byte("us-ca DLLLDDD 7ABC123\nus-tx LLLDDDD ABC123\n")},
	}
	_, err := loadFS(fsys, "t")
	if want := `t/us.txt:2: example "ABC123" does not fit`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got error %v, want it to contain %q", err, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		regions []string
		want    string // error substring; "" for success
	}{
		{[]string{"us"}, ""},
		{[]string{"us-ca"}, ""},
		{[]string{"US-CA", " eu "}, ""},
		{[]string{"eu", "br"}, ""},
		{[]string{"us", "us-ca", "us"}, ""},
		{nil, "syntax: no region given (known: br, eu, eu-at"},
		{[]string{"us-xx"}, `syntax: unknown region "us-xx" (known: br, eu, eu-at,`},
		{[]string{"us", "mars"}, `syntax: unknown region "mars"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.regions, "+"), func(t *testing.T) {
			_, err := New(tt.regions...)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got error %v, want it to contain %q", err, tt.want)
			}
			if tt.want != "" && !strings.Contains(err.Error(), "us-ca") {
				t.Errorf("got error %q, want it to list us-ca among the known regions", err)
			}
		})
	}
	c := mustNew(t, "US-CA", " eu ", "us-ca")
	if got, want := c.Regions(), []string{"us-ca", "eu"}; !slices.Equal(got, want) {
		t.Errorf("got Regions() %q, want %q", got, want)
	}
}

func TestCorrectCalifornia(t *testing.T) {
	c := mustNew(t, "us-ca")
	tests := []struct {
		name, in, want string
	}{
		{"exact", "7ABC123", "7ABC123"},
		{"8 for B and Z for 2", "7A8C1Z3", "7ABC123"},
		{"0 for O", "70BC123", "7OBC123"},
		{"O for 0", "7ABCO23", "7ABC023"},
		{"D for 0", "7ABCD23", "7ABC023"},
		{"Q for 0", "7ABC12Q", "7ABC120"},
		{"I for 1", "IABC234", "1ABC234"},
		{"1 for I", "7A1C234", "7AIC234"},
		{"L for 1", "7ABCL23", "7ABC123"},
		{"B for 8", "BABC234", "8ABC234"},
		{"S for 5", "7ABCS23", "7ABC523"},
		{"5 for S", "7A5C123", "7ASC123"},
		{"Z for 2", "7ABC1Z3", "7ABC123"},
		{"2 for Z", "7AB2C123", "7AB2C123"}, // 8 characters: no template, kept
		{"G for 6", "7ABC12G", "7ABC126"},
		{"6 for G", "7A6C123", "7AGC123"},
		{"T for 7", "TABC123", "7ABC123"},
		{"A for 4", "7ABC1A3", "7ABC143"},
		{"two confusions", "7ABCO2S", "7ABC025"},
		{"older ABC123", "A8C1Z3", "A8C1Z3"}, // 6 characters: only 1 substitution allowed, kept
		{"older ABC123, one confusion", "A8C123", "ABC123"},
		{"older 123ABC", "12BA8C", "12BA8C"}, // DDDLLL needs 2: kept
		{"older 123ABC, one confusion", "123A8C", "123ABC"},
		{"commercial 1A12345", "4A1234S", "4A12345"},
		{"commercial 12345A1", "1234SA1", "12345A1"},
		{"trailer 1AB1234", "4AB12S4", "4AB1254"},
		{"motorcycle 12A3456", "12A345G", "12A3456"},
		{"motorcycle 1A23456", "1A2345G", "1A23456"},
		{"vanity", "GOTEAM", "G0TEAM"}, // O and 0 are one glyph (see TestCorrectZeroO)
		{"vanity with digits", "LUV2RUN", "LUV2RUN"},
		{"three confusions", "7A8CIZ3", "7A8CIZ3"},
		{"unconfusable", "7ABCX23", "7ABCX23"},
		{"too long", "7ABC1234", "7ABC1234"},
		{"single character", "7", "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := read(tt.in, 80)
			got := c.Correct(in)
			if got.Text != tt.want {
				t.Errorf("Correct(%q): got Text %q, want %q", tt.in, got.Text, tt.want)
			}
			if got.Raw != in.Raw {
				t.Errorf("Correct(%q): got Raw %q, want %q", tt.in, got.Raw, in.Raw)
			}
			if len(got.Candidates) == 0 || got.Candidates[0].Text != got.Text || got.Candidates[0].Confidence != got.Confidence {
				t.Errorf("Correct(%q): got Candidates %v, want the first to be Text %q at %v", tt.in, got.Candidates, got.Text, got.Confidence)
			}
			if !slices.ContainsFunc(got.Candidates, func(cd ocr.Candidate) bool { return cd.Text == tt.in }) && tt.in != "" {
				t.Errorf("Correct(%q): got Candidates %v, want the form as read among them", tt.in, got.Candidates)
			}
		})
	}
}

// TestCorrectKeepsUnfit checks that a reading no template fits comes back
// exactly as read, in every region (in the US but for its O, see
// TestCorrectZeroO).
func TestCorrectKeepsUnfit(t *testing.T) {
	for _, region := range []string{"us-ca", "us", "eu", "br"} {
		c := mustNew(t, region)
		for _, in := range []ocr.Reading{
			read("GETEAM", 91),
			read("CALIFRNA", 60),
			{Text: "MYCAR", Raw: "MY CAR", Confidence: 70, Candidates: []ocr.Candidate{cand("MYCAR", 70), cand("MYCAP", 40)}},
			{},
			{Raw: "~~"},
		} {
			t.Run(region+"/"+in.Text, func(t *testing.T) {
				if got := c.Correct(in); !reflect.DeepEqual(got, in) {
					t.Errorf("Correct(%+v): got %+v, want it unchanged", in, got)
				}
			})
		}
	}
}

// TestCorrectBacking: a template substitutes a look-alike the reader did
// not offer only against its bonus, O/0 and I/1 aside; a single candidate
// of a length offers no alternatives and leaves the templates free.
func TestCorrectBacking(t *testing.T) {
	reading := func(cs ...ocr.Candidate) ocr.Reading {
		return ocr.Reading{Text: cs[0].Text, Confidence: cs[0].Confidence, Candidates: cs}
	}
	tests := []struct {
		region string
		in     ocr.Reading
		want   string
	}{
		// No candidate has a 5 last: the personalised plate stays.
		{"us", reading(cand("QUILLS", 99), cand("0UILLS", 95), cand("QUILL", 90)), "QUILLS"},
		// One has: DLLLLD with S read 5 wins.
		{"us", reading(cand("QUILLS", 99), cand("0UILLS", 95), cand("QUILL5", 70)), "0UILL5"},
		{"us", reading(cand("LTLGT0", 99), cand("LTLGI0", 83)), "LTLGT0"},
		{"us", reading(cand("LTLGT0", 99), cand("LTLG70", 60)), "LTLG70"},
		// Only one candidate of the length: the template is free.
		{"us", reading(cand("0UILLS", 99), cand("QUILL", 95)), "0UILL5"},
		// I and 1 need no backing (one glyph on Brazilian plates).
		{"br", reading(cand("OUPI442", 99), cand("OUP442", 99), cand("0UPI442", 97)), "OUP1442"},
		// Nor O and 0.
		{"br", reading(cand("0UP1442", 99), cand("DUP1442", 91)), "OUP1442"},
	}
	for _, tt := range tests {
		t.Run(tt.region+"/"+tt.in.Text+"/"+tt.want, func(t *testing.T) {
			if got := mustNew(t, tt.region).Correct(tt.in); got.Text != tt.want {
				t.Errorf("Correct: got %q, want %q (candidates %v)", got.Text, tt.want, got.Candidates)
			}
		})
	}
}

func TestFits(t *testing.T) {
	c := mustNew(t, "us-ca")
	for text, want := range map[string]bool{"7ABC123": true, "7abc-123": true, "7A8C1Z3": false, "KEEPCALM": false, "": false} {
		if got := c.Fits(text); got != want {
			t.Errorf("Fits(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestHasLength(t *testing.T) {
	br := mustNew(t, "br")
	for n := 0; n <= 12; n++ {
		if got := br.HasLength(n); got != (n == 7) {
			t.Errorf("br: HasLength(%d) = %v, want %v", n, got, n == 7)
		}
	}
	ca := mustNew(t, "us-ca")
	for n, want := range map[int]bool{4: false, 5: true, 6: true, 7: true, 8: false, -1: false, 11: false} {
		if got := ca.HasLength(n); got != want {
			t.Errorf("us-ca: HasLength(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestCorrectRanking(t *testing.T) {
	c := mustNew(t, "us-ca")
	tests := []struct {
		name     string
		in       ocr.Reading
		want     string
		wantList []string // texts of Candidates; nil: not checked
	}{
		{
			name: "exact fit beats one needing 3 substitutions",
			in: ocr.Reading{Text: "7A8CIZ3", Raw: "7A8CIZ3", Confidence: 85, Candidates: []ocr.Candidate{
				cand("7A8CIZ3", 85), cand("7ABC123", 80),
			}},
			want:     "7ABC123",
			wantList: []string{"7ABC123", "7A8CIZ3"},
		},
		{
			name: "exact fit beats one needing 2 substitutions",
			in: ocr.Reading{Text: "7A8C1Z3", Confidence: 85, Candidates: []ocr.Candidate{
				cand("7A8C1Z3", 85), cand("7ABC128", 80),
			}},
			want:     "7ABC128",
			wantList: []string{"7ABC128", "7ABC123", "7A8C1Z3"},
		},
		{
			name: "corrected forms merge with candidates",
			in: ocr.Reading{Text: "7ABC1Z3", Confidence: 90, Candidates: []ocr.Candidate{
				cand("7ABC1Z3", 90), cand("7ABC123", 70), cand("7A8C123", 60),
			}},
			want:     "7ABC123",
			wantList: []string{"7ABC123", "7ABC1Z3", "7A8C123"},
		},
		{
			name: "vanity read best stays best",
			in: ocr.Reading{Text: "GETEAM", Confidence: 90, Candidates: []ocr.Candidate{
				cand("GETEAM", 90), cand("GET3AM", 50), cand("123ABC", 20),
			}},
			want: "GETEAM",
		},
		{
			name: "text without candidates",
			in:   ocr.Reading{Text: "7A8C1Z3", Raw: "7A8C 1Z3", Confidence: 70},
			want: "7ABC123", wantList: []string{"7ABC123", "7A8C1Z3"},
		},
		{
			name: "text missing from candidates is considered first",
			in:   ocr.Reading{Text: "7ABC1Z3", Confidence: 70, Candidates: []ocr.Candidate{cand("GETEAM", 70)}},
			want: "7ABC123", wantList: []string{"7ABC123", "7ABC1Z3", "GETEAM"},
		},
		{
			name: "unclean candidates",
			in:   ocr.Reading{Text: "7a8c-1z3", Confidence: 70, Candidates: []ocr.Candidate{cand("7a8c-1z3", 70), cand(" ", 90)}},
			want: "7ABC123", wantList: []string{"7ABC123", "7A8C1Z3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Correct(tt.in)
			if got.Text != tt.want {
				t.Errorf("got Text %q, want %q (candidates %v)", got.Text, tt.want, got.Candidates)
			}
			if got.Raw != tt.in.Raw {
				t.Errorf("got Raw %q, want %q", got.Raw, tt.in.Raw)
			}
			var texts []string
			for i, cd := range got.Candidates {
				texts = append(texts, cd.Text)
				if cd.Confidence < 0 || cd.Confidence > 100 {
					t.Errorf("candidate %d: got confidence %v, want 0..100", i, cd.Confidence)
				}
				if i > 0 && cd.Confidence > got.Candidates[i-1].Confidence {
					t.Errorf("candidate %d: got confidence %v above the one before (%v), want best first", i, cd.Confidence, got.Candidates[i-1].Confidence)
				}
			}
			if tt.wantList != nil && !slices.Equal(texts, tt.wantList) {
				t.Errorf("got candidates %q, want %q", texts, tt.wantList)
			}
		})
	}
}

// TestCorrectZeroO: in the US the letter O is read as the digit 0 unless a
// template fitted wants a letter there; elsewhere O is kept.
func TestCorrectZeroO(t *testing.T) {
	tests := []struct {
		region string
		in     ocr.Reading
		want   string
		list   []string
	}{
		// A personalised plate: every O, its candidates' too, in order;
		// the candidates that become one are kept once, and the text as
		// read last.
		{"us", ocr.Reading{Text: "GOLFING", Confidence: 95, Candidates: []ocr.Candidate{
			cand("GOLFING", 95), cand("G0LFING", 90), cand("COLFING", 80), cand("GOLFTNG", 70),
		}}, "G0LFING", []string{"G0LFING", "C0LFING", "G0LFTNG", "GOLFING"}},
		// A template's letter stays O, even when the form with 0 fits
		// another template as well (DDDLLL and DDDDLL).
		{"us", ocr.Reading{Text: "355OCT", Confidence: 98, Candidates: []ocr.Candidate{
			cand("355OCT", 98), cand("3550CT", 98),
		}}, "355OCT", nil},
		{"us-ca", ocr.Reading{Text: "7OBC123", Confidence: 90}, "7OBC123", nil},
		// Where the template wants a digit, or either, O is 0.
		{"us", ocr.Reading{Text: "WH0515", Confidence: 90, Candidates: []ocr.Candidate{
			cand("WH0515", 90), cand("WHO515", 85),
		}}, "WH0515", nil},
		{"us-ca", ocr.Reading{Text: "7ABC1O3", Confidence: 90}, "7ABC103", nil},
		// Europe's plates keep their O.
		{"eu", ocr.Reading{Text: "GOLFING", Confidence: 95}, "GOLFING", nil},
		{"br", ocr.Reading{Text: "OZU2104", Confidence: 95}, "OZU2104", nil},
	}
	for _, tt := range tests {
		c := mustNew(t, tt.region)
		got := c.Correct(tt.in)
		if got.Text != tt.want {
			t.Errorf("%s %q: got %q, want %q (candidates %v)", tt.region, tt.in.Text, got.Text, tt.want, got.Candidates)
		}
		if tt.list == nil {
			continue
		}
		var texts []string
		for _, cd := range got.Candidates {
			texts = append(texts, cd.Text)
		}
		if !slices.Equal(texts, tt.list) {
			t.Errorf("%s %q: got candidates %q, want %q", tt.region, tt.in.Text, texts, tt.list)
		}
	}
}

func TestCorrectConfidence(t *testing.T) {
	c := mustNew(t, "us-ca")
	tests := []struct {
		in   ocr.Reading
		want float64
	}{
		{read("7ABC123", 95), 100}, // exact fit bonus, clamped
		{read("7ABC123", 50), 50 + fitBonus},
		{read("7ABC1Z3", 50), 50 + fitBonus - subPenalty['Z']},
		{read("7ABC123", -5), fitBonus},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in.Text, tt.in.Confidence), func(t *testing.T) {
			if got := c.Correct(tt.in).Confidence; got != tt.want {
				t.Errorf("got Confidence %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCorrectTopN(t *testing.T) {
	c := mustNew(t, "us")
	in := ocr.Reading{Text: "ABC1234", Confidence: 90}
	for i := range 20 {
		text := fmt.Sprintf("ABC%04d", i)
		in.Candidates = append(in.Candidates, ocr.Candidate{Text: text, Confidence: 90 - float64(i)})
	}
	in.Candidates[0].Text = "ABC1234"
	got := c.Correct(in)
	if n := len(got.Candidates); n != maxCandidates {
		t.Errorf("got %d candidates, want %d", n, maxCandidates)
	}
}

// TestCorrectDeterministic runs the same readings from several goroutines
// (go test -race) and checks every result is the same.
func TestCorrectDeterministic(t *testing.T) {
	c := mustNew(t, "us", "eu", "br")
	in := benchReading()
	want := c.Correct(in)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := c.Correct(in); !reflect.DeepEqual(got, want) {
					errs <- fmt.Sprintf("got %+v, want %+v", got, want)
					return
				}
				c.Match(in.Text)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestCorrectEU(t *testing.T) {
	tests := []struct {
		region, in, want string
	}{
		{"eu-sk", "8A123AB", "BA123AB"},
		{"eu-sk", "BA1Z3A8", "BA123AB"},
		{"eu", "BA123A8", "BA123AB"},
		{"eu-cz", "1A2345G", "1A23456"},
		{"eu-cz", "1AB234S", "1AB2345"},
		{"eu-gb", "AB1ZCDE", "AB12CDE"},
		{"eu-gb", "A812CDE", "A812CDE"}, // a valid prefix plate,
		{"eu-pl", "W412345", "WA12345"},
		{"eu-it", "A8123CD", "AB123CD"},
		{"eu-fr", "AB12JCD", "AB12JCD"}, // J is no digit look-alike: kept
		{"eu-de", "HHAB12O", "HHAB120"},
		{"eu", "GOTEAM", "GOTEAM"},
	}
	for _, tt := range tests {
		t.Run(tt.region+"/"+tt.in, func(t *testing.T) {
			if got := mustNew(t, tt.region).Correct(read(tt.in, 80)).Text; got != tt.want {
				t.Errorf("Correct(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCorrectBR(t *testing.T) {
	c := mustNew(t, "br")
	tests := []struct {
		in, want string
	}{
		{"ABC1234", "ABC1234"},
		{"A8C1234", "ABC1234"},
		{"ABC12S4", "ABC1254"},
		{"ABC1D23", "ABC1D23"}, // Mercosul
		{"ABCID23", "ABC1D23"},
		{"ABC1DZ3", "ABC1D23"},
		{"AB1C234", "AB1C234"}, // fits neither within the limits: kept
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := c.Correct(read(tt.in, 80)).Text; got != tt.want {
				t.Errorf("Correct(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		regions []string
		text    string
		want    string
		wantOK  bool
	}{
		{[]string{"us-ca"}, "7ABC123", "us-ca", true},
		{[]string{"us-ca"}, "7abc-123", "us-ca", true},
		{[]string{"us-ca"}, "7A8C1Z3", "", false}, // Match does not correct
		{[]string{"us-ca"}, "GOTEAM", "", false},
		{[]string{"us-ca"}, "", "", false},
		{[]string{"us-ca", "us-tx"}, "ABC1234", "us-tx", true},
		{[]string{"us-ca", "us-tx"}, "ABC123", "us", true},
		{[]string{"us"}, "1AB2345", "us", true},
		{[]string{"us-ca", "eu-sk"}, "BA123AB", "eu-sk", true},
		{[]string{"us-ca", "eu-se"}, "ABC123", "eu,us", true},
		{[]string{"eu"}, "BA123AB", "eu", true},
		{[]string{"br"}, "ABC1D23", "br", true},
		{[]string{"us-wv"}, "O AB 123", "us-wv", true}, // A: letter or digit
		{[]string{"us-az"}, "A1BCD2", "", false},       // fourth must be a digit
		{[]string{"us-az"}, "A1B2C3", "us-az", true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.regions, "+")+"/"+tt.text, func(t *testing.T) {
			got, ok := mustNew(t, tt.regions...).Match(tt.text)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Match(%q): got %q, %v, want %q, %v", tt.text, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestJurisdictions(t *testing.T) {
	c := mustNew(t, "us")
	got := c.Jurisdictions("7ABC123")
	if want := []string{"us-ca", "us-id"}; !slices.Equal(got, want) {
		t.Errorf("Jurisdictions(7ABC123): got %q, want %q", got, want)
	}
	if got := c.Jurisdictions("ABCDEFGHIJKL"); got != nil {
		t.Errorf("Jurisdictions(too long): got %q, want none", got)
	}
}

func benchReading() ocr.Reading {
	r := ocr.Reading{Text: "7A8C1Z3", Raw: "7A8C 1Z3", Confidence: 81}
	for i, s := range []string{"7A8C1Z3", "7ABC1Z3", "7A8C123", "1A8C1Z3", "7A8CIZ3", "7ABCIZ3", "7A8C1Z8", "TA8C1Z3", "7A8G1Z3", "7A8C1ZS"} {
		r.Candidates = append(r.Candidates, ocr.Candidate{Text: s, Confidence: 81 - 3*float64(i)})
	}
	return r
}

func BenchmarkCorrect(b *testing.B) {
	c := mustNew(b, "us")
	in := benchReading()
	b.ReportAllocs()
	for b.Loop() {
		c.Correct(in)
	}
}

func BenchmarkMatch(b *testing.B) {
	c := mustNew(b, "us")
	b.ReportAllocs()
	for b.Loop() {
		c.Match("7ABC123")
	}
}
