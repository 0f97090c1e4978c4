package board

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestREADMEWiring keeps the README's wiring table true to the profiles: each
// role's row names, per board column, the pin that board's profile gives it.
func TestREADMEWiring(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "role" && len(cells) > 3 && cells[1] == "rpi4" {
			header = cells
			continue
		}
		if header != nil && len(cells) == len(header) {
			rows[cells[0]] = cells
		}
	}
	if header == nil {
		t.Fatal("README.md has no wiring table with a header row | role | rpi4 | ...")
	}
	names := map[Role]string{Illuminator: "illuminator", StatusLED: "status LED", Buzzer: "buzzer", Tamper: "tamper"}
	for col, boardName := range header {
		p, err := Lookup(boardName)
		if err != nil {
			continue
		}
		for _, role := range Roles() {
			row, ok := rows[names[role]]
			if !ok {
				t.Errorf("README wiring table has no row %q", names[role])
				continue
			}
			if got, want := row[col], p.Pins[role]; got != want {
				t.Errorf("README %s on %s: got %q, want %q", role, boardName, got, want)
			}
			if hp, ok := HeaderPin(p.Pins[role]); ok && !strings.Contains(row[len(header)-3], strconv.Itoa(hp)) {
				t.Errorf("README %s header pin: got %q, want %d", role, row[len(header)-3], hp)
			}
		}
		if gps := rows["GPS"]; gps == nil || !strings.Contains(gps[col], p.GPSDevice) {
			t.Errorf("README GPS on %s: want %q", boardName, p.GPSDevice)
		}
	}
}
