package synth

import (
	"fmt"
	"image/color"
	"math/rand/v2"
	"slices"
	"strings"
)

// plateFormat describes one licence plate design. Formats are plain data; the
// renderer in plate.go knows nothing about particular states.
type plateFormat struct {
	ID    string // "us-ca"
	State string // "ca"

	// Pattern is the character layout: 'D' a digit, 'L' a letter, ' ' a
	// visual gap that is not part of the plate text.
	Pattern string

	Background  color.RGBA // plate field
	Background2 color.RGBA // bottom of a vertical gradient; zero = flat
	Text        color.RGBA // main characters
	Border      color.RGBA

	Header      string // top line, e.g. the state name
	HeaderColor color.RGBA
	HeaderFont  fontID
	Footer      string // bottom line, e.g. a slogan
	FooterColor color.RGBA
	FooterFont  fontID
}

// letters excludes I, O and Q, which many US states do not issue because
// they are confused with 1 and 0.
const (
	letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	digits  = "0123456789"
)

var formats = []plateFormat{
	{
		ID: "us-ca", State: "ca", Pattern: "DLLLDDD",
		Background: rgb(250, 250, 247), Background2: rgb(236, 238, 240),
		Text: rgb(20, 32, 110), Border: rgb(20, 32, 110),
		Header: "California", HeaderColor: rgb(200, 22, 30), HeaderFont: fontBoldItalic,
		Footer: "DMV.CA.GOV", FooterColor: rgb(20, 32, 110), FooterFont: fontBold,
	},
	{
		ID: "us-tx", State: "tx", Pattern: "LLL DDDD",
		Background: rgb(248, 248, 244), Background2: rgb(232, 232, 226),
		Text: rgb(15, 15, 15), Border: rgb(40, 40, 40),
		Header: "TEXAS", HeaderColor: rgb(15, 15, 15), HeaderFont: fontBold,
		Footer: "THE LONE STAR STATE", FooterColor: rgb(15, 15, 15), FooterFont: fontBold,
	},
	{
		ID: "us-ny", State: "ny", Pattern: "LLL DDDD",
		Background: rgb(252, 238, 200), Background2: rgb(246, 212, 148),
		Text: rgb(16, 30, 90), Border: rgb(16, 30, 90),
		Header: "NEW YORK", HeaderColor: rgb(16, 30, 90), HeaderFont: fontBold,
		Footer: "EMPIRE STATE", FooterColor: rgb(16, 30, 90), FooterFont: fontBold,
	},
	{
		ID: "us-fl", State: "fl", Pattern: "LLL LDD",
		Background: rgb(250, 250, 246), Background2: rgb(236, 242, 232),
		Text: rgb(10, 80, 45), Border: rgb(10, 80, 45),
		Header: "FLORIDA", HeaderColor: rgb(10, 80, 45), HeaderFont: fontBold,
		Footer: "SUNSHINE STATE", FooterColor: rgb(10, 80, 45), FooterFont: fontBoldItalic,
	},
	{
		ID: "us-wa", State: "wa", Pattern: "LLL DDDD",
		Background: rgb(250, 250, 250), Background2: rgb(214, 226, 240),
		Text: rgb(22, 40, 105), Border: rgb(22, 40, 105),
		Header: "Washington", HeaderColor: rgb(22, 40, 105), HeaderFont: fontBoldItalic,
		Footer: "EVERGREEN STATE", FooterColor: rgb(22, 40, 105), FooterFont: fontBold,
	},
}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }

// Formats returns the IDs of the known plate formats ("us-ca", ...), sorted.
func Formats() []string {
	ids := make([]string, len(formats))
	for i, f := range formats {
		ids[i] = f.ID
	}
	slices.Sort(ids)
	return ids
}

func lookupFormat(id string) (*plateFormat, error) {
	for i := range formats {
		if formats[i].ID == id {
			return &formats[i], nil
		}
	}
	return nil, fmt.Errorf("unknown plate format %q (known: %s)", id, strings.Join(Formats(), ", "))
}

// plateLen is the number of characters in the plate text (gaps excluded).
func (f *plateFormat) plateLen() int { return len(f.Pattern) - strings.Count(f.Pattern, " ") }

// randomText draws a plate text for the format: upper-case letters and
// digits only, no gaps.
func (f *plateFormat) randomText(r *rand.Rand) string {
	b := make([]byte, 0, len(f.Pattern))
	for _, p := range []byte(f.Pattern) {
		switch p {
		case 'D':
			b = append(b, digits[r.IntN(len(digits))])
		case 'L':
			b = append(b, letters[r.IntN(len(letters))])
		}
	}
	return string(b)
}

// matches reports whether text fits the format's pattern.
func (f *plateFormat) matches(text string) bool {
	if len(text) != f.plateLen() {
		return false
	}
	i := 0
	for _, p := range []byte(f.Pattern) {
		if p == ' ' {
			continue
		}
		c := text[i]
		switch p {
		case 'D':
			if c < '0' || c > '9' {
				return false
			}
		case 'L':
			if c < 'A' || c > 'Z' {
				return false
			}
		}
		i++
	}
	return true
}
