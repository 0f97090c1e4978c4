package gps

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// withSum returns "$" + body + "*hh" with the right checksum.
func withSum(body string) string {
	var s byte
	for i := 0; i < len(body); i++ {
		s ^= body[i]
	}
	return fmt.Sprintf("$%s*%02X", body, s)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func sameSentence(got, want Sentence) bool {
	return got.Talker == want.Talker && got.Type == want.Type &&
		near(got.Lat, want.Lat) && near(got.Lon, want.Lon) &&
		got.TimeOfDay == want.TimeOfDay && got.Time.Equal(want.Time) &&
		near(got.SpeedKnots, want.SpeedKnots) && near(got.CourseDeg, want.CourseDeg) &&
		got.Quality == want.Quality && got.Satellites == want.Satellites &&
		near(got.HDOP, want.HDOP) && near(got.AltitudeM, want.AltitudeM)
}

func hms(h, m int, s float64) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s*float64(time.Second))
}

func TestParseSentenceGood(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Sentence
	}{
		{
			name: "GPRMC classic",
			line: "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A",
			want: Sentence{Talker: "GP", Type: "RMC", Lat: 48 + 7.038/60, Lon: 11 + 31.0/60,
				TimeOfDay: hms(12, 35, 19), Time: time.Date(1994, 3, 23, 12, 35, 19, 0, time.UTC),
				SpeedKnots: 22.4, CourseDeg: 84.4},
		},
		{
			name: "GPGGA classic",
			line: "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
			want: Sentence{Talker: "GP", Type: "GGA", Lat: 48 + 7.038/60, Lon: 11 + 31.0/60,
				TimeOfDay: hms(12, 35, 19), Quality: 1, Satellites: 8, HDOP: 0.9, AltitudeM: 545.4},
		},
		{
			name: "GPRMC west, mode A, fractional seconds (u-blox)",
			line: "$GPRMC,083559.00,A,4717.11437,N,00833.91522,E,0.004,77.52,091202,,,A*57",
			want: Sentence{Talker: "GP", Type: "RMC", Lat: 47 + 17.11437/60, Lon: 8 + 33.91522/60,
				TimeOfDay: hms(8, 35, 59), Time: time.Date(2002, 12, 9, 8, 35, 59, 0, time.UTC),
				SpeedKnots: 0.004, CourseDeg: 77.52},
		},
		{
			name: "GPRMC west",
			line: "$GPRMC,225446,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E*68",
			want: Sentence{Talker: "GP", Type: "RMC", Lat: 49 + 16.45/60, Lon: -(123 + 11.12/60),
				TimeOfDay: hms(22, 54, 46), Time: time.Date(1994, 11, 19, 22, 54, 46, 0, time.UTC),
				SpeedKnots: 0.5, CourseDeg: 54.7},
		},
		{
			name: "GPGGA DGPS, negative geoid, station (Trimble)",
			line: "$GPGGA,172814.0,3723.46587704,N,12202.26957864,W,2,6,1.2,18.893,M,-25.669,M,2.0,0031*4F",
			want: Sentence{Talker: "GP", Type: "GGA", Lat: 37 + 23.46587704/60, Lon: -(122 + 2.26957864/60),
				TimeOfDay: hms(17, 28, 14), Quality: 2, Satellites: 6, HDOP: 1.2, AltitudeM: 18.893},
		},
		{
			name: "GNGGA multi-constellation",
			line: "$GNGGA,001043.00,4404.14036,N,12118.85961,W,1,12,0.98,1113.0,M,-21.3,M,,*47",
			want: Sentence{Talker: "GN", Type: "GGA", Lat: 44 + 4.14036/60, Lon: -(121 + 18.85961/60),
				TimeOfDay: hms(0, 10, 43), Quality: 1, Satellites: 12, HDOP: 0.98, AltitudeM: 1113.0},
		},
		{
			name: "GNRMC south east, 2024, empty speed and course, CRLF",
			line: withSum("GNRMC,235959.50,A,3351.1234,S,15112.5678,E,,,311224,,,D") + "\r\n",
			want: Sentence{Talker: "GN", Type: "RMC", Lat: -(33 + 51.1234/60), Lon: 151 + 12.5678/60,
				TimeOfDay: hms(23, 59, 59.5), Time: time.Date(2024, 12, 31, 23, 59, 59, 5e8, time.UTC)},
		},
		{
			name: "GAGGA Galileo talker, below sea level",
			line: withSum("GAGGA,101010,3130.0000,N,03520.0000,E,1,05,2.5,-430.5,M,20.0,M,,"),
			want: Sentence{Talker: "GA", Type: "GGA", Lat: 31.5, Lon: 35 + 20.0/60,
				TimeOfDay: hms(10, 10, 10), Quality: 1, Satellites: 5, HDOP: 2.5, AltitudeM: -430.5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSentence(tt.line)
			if err != nil {
				t.Fatalf("ParseSentence(%q): got error %v, want nil", tt.line, err)
			}
			if !sameSentence(got, tt.want) {
				t.Errorf("ParseSentence(%q):\ngot  %+v\nwant %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseSentenceLowerCaseChecksum(t *testing.T) {
	line := "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6a"
	if _, err := ParseSentence(line); err != nil {
		t.Errorf("ParseSentence(%q): got error %v, want nil", line, err)
	}
}

func TestParseSentenceErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
		want error
		text string // substring of the error text
	}{
		{"bad checksum", "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B", ErrChecksum, "got *6B, computed *6A"},
		{"altered field", "$GPRMC,123519,A,4807.039,N,01131.000,E,022.4,084.4,230394,003.1,W*6A", ErrChecksum, "computed"},
		{"no checksum", "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W", ErrNoChecksum, "no *hh"},
		{"checksum one digit", "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6", ErrMalformed, "two hex digits"},
		{"checksum not hex", "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*ZZ", ErrMalformed, "two hex digits"},
		{"no dollar", "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A", ErrMalformed, "no leading $"},
		{"empty", "", ErrMalformed, "no leading $"},
		{"garbage", "\x00\xff\x13garbage", ErrMalformed, "no leading $"},
		{"binary in body", "$GP\x01RMC*00", ErrMalformed, "byte"},
		{"two sentences glued", "$GPGGA,123519*00$GPRMC,1*00", ErrMalformed, "byte"},
		{"bad address", withSum("GPRM,1,2"), ErrMalformed, "address"},
		{"lower-case address", withSum("gprmc,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, "address"},
		{"truncated RMC", withSum("GPRMC,123519,A,4807.038,N,01131.000"), ErrMalformed, "6 fields, want at least 12"},
		{"truncated GGA", withSum("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9"), ErrMalformed, "9 fields, want at least 15"},
		{"invalid status", withSum("GPRMC,123519,X,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, `status "X"`},
		{"invalid mode", withSum("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W,Q"), ErrMalformed, `mode "Q"`},
		{"RMC no fix", "$GPRMC,,V,,,,,,,,,,N*53", ErrNoFix, "status V"},
		{"RMC V with time", withSum("GPRMC,123519,V,,,,,,,230394,,"), ErrNoFix, "status V"},
		{"RMC estimated mode", withSum("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W,E"), ErrNoFix, "mode E"},
		{"RMC simulator mode", withSum("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W,S"), ErrNoFix, "mode S"},
		{"GGA quality 0", withSum("GPGGA,123519,,,,,0,00,99.99,,,,,,"), ErrNoFix, "quality 0"},
		{"GGA quality 6", withSum("GPGGA,123519,4807.038,N,01131.000,E,6,08,0.9,545.4,M,46.9,M,,"), ErrNoFix, "quality 6"},
		{"GGA quality 9", withSum("GPGGA,123519,4807.038,N,01131.000,E,9,08,0.9,545.4,M,46.9,M,,"), ErrMalformed, `quality "9"`},
		{"GGA quality empty", withSum("GPGGA,123519,4807.038,N,01131.000,E,,08,0.9,545.4,M,46.9,M,,"), ErrMalformed, `quality ""`},
		{"lat minutes 60", withSum("GPRMC,123519,A,4860.000,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, "minutes"},
		{"lat over 90", withSum("GPRMC,123519,A,9100.000,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, "want <= 90"},
		{"lon over 180", withSum("GPRMC,123519,A,4807.038,N,18100.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, "want <= 180"},
		{"lat empty with fix", withSum("GPRMC,123519,A,,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, `lat ""`},
		{"lat not a number", withSum("GPRMC,123519,A,Inf,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, `lat "Inf"`},
		{"lat negative", withSum("GPRMC,123519,A,-4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, `lat "-4807.038"`},
		{"bad hemisphere", withSum("GPRMC,123519,A,4807.038,E,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, "hemisphere"},
		{"bad time", withSum("GPRMC,12351,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, "time"},
		{"hour 24", withSum("GPRMC,243519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"), ErrMalformed, "out of range"},
		{"bad date", withSum("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,310294,003.1,W"), ErrMalformed, `date "310294" out of range`},
		{"empty date", withSum("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,,003.1,W"), ErrMalformed, "date"},
		{"bad speed", withSum("GPRMC,123519,A,4807.038,N,01131.000,E,1e3,084.4,230394,003.1,W"), ErrMalformed, "speed"},
		{"bad hdop", withSum("GPGGA,123519,4807.038,N,01131.000,E,1,08,x,545.4,M,46.9,M,,"), ErrMalformed, "hdop"},
		{"bad satellites", withSum("GPGGA,123519,4807.038,N,01131.000,E,1,+8,0.9,545.4,M,46.9,M,,"), ErrMalformed, "satellites"},
		{"unsupported GSV", withSum("GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00"), ErrUnsupported, "type GSV"},
		{"proprietary", withSum("PUBX,00,081350.00,4717.113210,N,00833.915187,E"), ErrUnsupported, "proprietary PUBX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSentence(tt.line)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseSentence(%q): got error %v, want %v", tt.line, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "gps: parse nmea ") || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error text: got %q, want gps: parse nmea ... %s ...", err, tt.text)
			}
		})
	}
}

func TestParseSentenceNoFixKeepsTime(t *testing.T) {
	s, err := ParseSentence(withSum("GNRMC,123519.00,V,,,,,,,230394,,,N"))
	if !errors.Is(err, ErrNoFix) {
		t.Fatalf("got error %v, want ErrNoFix", err)
	}
	want := time.Date(1994, 3, 23, 12, 35, 19, 0, time.UTC)
	if s.Talker != "GN" || s.Type != "RMC" || !s.Time.Equal(want) {
		t.Errorf("got %s%s at %v, want GNRMC at %v", s.Talker, s.Type, s.Time, want)
	}
}

func TestParseDateCentury(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"010180", 1980},
		{"311299", 1999},
		{"010100", 2000},
		{"150626", 2026},
		{"311279", 2079},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := parseDate(tt.in)
			if err != nil {
				t.Fatalf("parseDate(%q): got error %v", tt.in, err)
			}
			if d.Year() != tt.want {
				t.Errorf("parseDate(%q) year: got %d, want %d", tt.in, d.Year(), tt.want)
			}
		})
	}
}
