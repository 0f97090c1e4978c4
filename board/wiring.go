package board

import (
	"fmt"
	"strings"
)

// header40 maps the BCM GPIO names to physical pin numbers on the Raspberry Pi
// 40-pin header. The layout is the same on the Pi 4, the Pi 5 and the CM4 IO
// board.
var header40 = map[string]int{
	"GPIO0": 27, "GPIO1": 28, "GPIO2": 3, "GPIO3": 5, "GPIO4": 7,
	"GPIO5": 29, "GPIO6": 31, "GPIO7": 26, "GPIO8": 24, "GPIO9": 21,
	"GPIO10": 19, "GPIO11": 23, "GPIO12": 32, "GPIO13": 33, "GPIO14": 8,
	"GPIO15": 10, "GPIO16": 36, "GPIO17": 11, "GPIO18": 12, "GPIO19": 35,
	"GPIO20": 38, "GPIO21": 40, "GPIO22": 15, "GPIO23": 16, "GPIO24": 18,
	"GPIO25": 22, "GPIO26": 37, "GPIO27": 13,
}

// HeaderPin returns the physical pin number of a BCM GPIO pin name (as periph
// names it, e.g. "GPIO18") on the Raspberry Pi 40-pin header, and false if the
// name is not on the header.
func HeaderPin(name string) (int, bool) {
	n, ok := header40[name]
	return n, ok
}

// headerUART holds the serial devices that are the UART on GPIO14/GPIO15.
var headerUART = map[string]bool{"/dev/serial0": true, "/dev/ttyAMA0": true, "/dev/ttyS0": true}

// roleWiring says how each role is wired; it is the same on every board.
var roleWiring = map[Role]struct{ dir, notes string }{
	Illuminator: {"out", "active high; PWM-capable (PWM0). Drives the gate of the IR LED driver's MOSFET, never the LEDs themselves; 10 kΩ gate pull-down keeps it off while the pin floats at boot"},
	StatusLED:   {"out", "active high; LED to GND through a 330 Ω resistor (about 4 mA at 3.3 V)"},
	Buzzer:      {"out", "active high; active (self-oscillating) buzzer switched by an NPN transistor or logic-level MOSFET, flyback diode across it"},
	Tamper:      {"in", "internal pull-up; switch to GND, closed while the enclosure is shut. High = enclosure open (a cut wire also reads open)"},
}

// WiringTable returns, for every board, a Markdown heading and a table of its
// pins: role, pin name, header pin number, direction and notes. It is meant to
// be pasted into the README.
func WiringTable() string {
	var b strings.Builder
	for i, name := range Names() {
		p := profiles[name]
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### %s\n\n%s.\n\n", p.Name, p.Description)
		b.WriteString("| Role | Pin | Header pin | Direction | Notes |\n")
		b.WriteString("| --- | --- | --- | --- | --- |\n")
		for _, r := range Roles() {
			pin := p.Pins[r]
			w := roleWiring[r]
			hdr, notes := "—", w.notes
			if p.Sim {
				notes = "simulated (hal/pins/pinstest)"
			} else if n, ok := HeaderPin(pin); ok {
				hdr = fmt.Sprint(n)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r, pin, hdr, w.dir, notes)
		}
		if headerUART[p.GPSDevice] {
			fmt.Fprintf(&b, "\nGPS receiver on %s: receiver TX to GPIO15/RXD (pin 10), receiver RX to GPIO14/TXD (pin 8), 3.3 V logic only.\n", p.GPSDevice)
		}
	}
	return b.String()
}
