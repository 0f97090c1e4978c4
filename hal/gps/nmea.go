package gps

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Errors from ParseSentence, wrapped with the line and the detail. A source
// counts ErrChecksum, ErrNoChecksum and ErrMalformed as garbage, skips
// ErrUnsupported quietly, and takes ErrNoFix as the receiver saying it has
// lost its fix.
var (
	ErrNoChecksum  = errors.New("gps: nmea sentence has no checksum")
	ErrChecksum    = errors.New("gps: nmea checksum mismatch")
	ErrMalformed   = errors.New("gps: malformed nmea sentence")
	ErrUnsupported = errors.New("gps: unsupported nmea sentence")
	ErrNoFix       = errors.New("gps: no fix")
)

// UERE is the user equivalent range error assumed for every receiver, in
// metres: a Fix's AccuracyM is HDOP × UERE. 5 m is a typical figure for a
// single-frequency receiver without corrections; it makes HDOP 1.0 a 5 m
// accuracy.
const UERE = 5.0

// Sentence is one decoded RMC or GGA sentence. Fields a sentence type does not
// carry are zero.
type Sentence struct {
	Talker string // "GP" (GPS), "GN" (multi-constellation), "GL", "GA", "GB", ...
	Type   string // "RMC" or "GGA"

	Lat float64 // degrees, north positive
	Lon float64 // degrees, east positive

	// TimeOfDay is the UTC time of the fix since midnight (RMC and GGA).
	TimeOfDay time.Duration
	// Time is the UTC date and time of the fix (RMC only: GGA has no date).
	Time time.Time

	// RMC only.
	SpeedKnots float64 // speed over ground
	CourseDeg  float64 // course over ground, degrees true

	// GGA only.
	Quality    int     // 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float (0 and 6-8 give ErrNoFix)
	Satellites int     // satellites used
	HDOP       float64 // horizontal dilution of precision; 0 if the receiver left it empty
	AltitudeM  float64 // antenna altitude above mean sea level, metres
}

// ParseSentence decodes one NMEA 0183 line: $ttRMC or $ttGGA from any talker
// tt, with its *hh checksum (hex, either case) verified. Leading and trailing
// white space (the CR LF) is ignored.
//
// It returns an error wrapping ErrNoChecksum, ErrChecksum or ErrMalformed
// (not NMEA, bad checksum, wrong field count, a field that does not parse or
// is out of range), ErrUnsupported (a valid sentence of another type,
// including proprietary $P... sentences), or ErrNoFix when the receiver
// reports no fix: RMC status V or mode N, E (estimated), M (manual) or S
// (simulator); GGA quality 0, 6 (estimated), 7 (manual) or 8 (simulator). With
// ErrNoFix the Sentence holds Talker, Type and whatever time and position
// fields parsed, so a caller may still read the time.
//
// Latitudes and longitudes are ddmm.mmmm and dddmm.mmmm with N/S and E/W. RMC
// dates are ddmmyy; yy < 80 is 20yy, otherwise 19yy.
func ParseSentence(line string) (Sentence, error) {
	line = strings.TrimSpace(line)
	fail := func(sentinel error, format string, args ...any) (Sentence, error) {
		return Sentence{}, fmt.Errorf("gps: parse nmea %q: %s: %w", clip(line), fmt.Sprintf(format, args...), sentinel)
	}
	if !strings.HasPrefix(line, "$") {
		return fail(ErrMalformed, "no leading $")
	}
	star := strings.LastIndexByte(line, '*')
	if star < 0 {
		return fail(ErrNoChecksum, "no *hh")
	}
	body, hh := line[1:star], line[star+1:]
	if len(hh) != 2 {
		return fail(ErrMalformed, "checksum %q is not two hex digits", hh)
	}
	want, err := strconv.ParseUint(hh, 16, 8)
	if err != nil {
		return fail(ErrMalformed, "checksum %q is not two hex digits", hh)
	}
	var sum byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c < 0x20 || c > 0x7e || c == '$' || c == '*' {
			return fail(ErrMalformed, "byte %#02x at %d", c, i+1)
		}
		sum ^= c
	}
	if sum != byte(want) {
		return fail(ErrChecksum, "got *%s, computed *%02X", hh, sum)
	}

	f := strings.Split(body, ",")
	addr := f[0]
	if strings.HasPrefix(addr, "P") {
		return fail(ErrUnsupported, "proprietary %s", addr)
	}
	if len(addr) != 5 || !isUpperAlnum(addr) {
		return fail(ErrMalformed, "address %q", addr)
	}
	s := Sentence{Talker: addr[:2], Type: addr[2:]}
	switch s.Type {
	case "RMC":
		err = s.parseRMC(f)
	case "GGA":
		err = s.parseGGA(f)
	default:
		return fail(ErrUnsupported, "type %s", s.Type)
	}
	if errors.Is(err, ErrNoFix) {
		return s, fmt.Errorf("gps: parse nmea %q: %w", clip(line), err)
	}
	if err != nil {
		return fail(ErrMalformed, "%s", err)
	}
	return s, nil
}

// parseRMC reads $ttRMC,time,status,lat,N,lon,E,speed,course,date,magvar,E[,mode[,navstatus]].
// An error other than one wrapping ErrNoFix describes a malformed field.
func (s *Sentence) parseRMC(f []string) error {
	if len(f) < 12 {
		return fmt.Errorf("%d fields, want at least 12", len(f))
	}
	status := f[2]
	noFix := ""
	switch status {
	case "A":
	case "V":
		noFix = "status V"
	default:
		return fmt.Errorf("status %q, want A or V", status)
	}
	if len(f) > 12 && f[12] != "" {
		switch f[12] {
		case "A", "D", "P", "R", "F":
		case "N", "E", "M", "S":
			if noFix == "" {
				noFix = "mode " + f[12]
			}
		default:
			return fmt.Errorf("mode %q", f[12])
		}
	}
	if noFix != "" {
		// Keep what parses: a receiver without a fix often has the time.
		if tod, err := parseTimeOfDay(f[1]); err == nil {
			s.TimeOfDay = tod
			if d, err := parseDate(f[9]); err == nil {
				s.Time = d.Add(tod)
			}
		}
		return fmt.Errorf("%s: %w", noFix, ErrNoFix)
	}
	var err error
	if s.TimeOfDay, err = parseTimeOfDay(f[1]); err != nil {
		return err
	}
	d, err := parseDate(f[9])
	if err != nil {
		return err
	}
	s.Time = d.Add(s.TimeOfDay)
	if s.Lat, err = parseCoord(f[3], f[4], "lat", 'N', 'S', 90); err != nil {
		return err
	}
	if s.Lon, err = parseCoord(f[5], f[6], "lon", 'E', 'W', 180); err != nil {
		return err
	}
	if s.SpeedKnots, err = optDecimal(f[7], "speed", false); err != nil {
		return err
	}
	if s.CourseDeg, err = optDecimal(f[8], "course", false); err != nil {
		return err
	}
	return nil
}

// parseGGA reads $ttGGA,time,lat,N,lon,E,quality,sats,hdop,alt,M,geoid,M,age,station.
func (s *Sentence) parseGGA(f []string) error {
	if len(f) < 15 {
		return fmt.Errorf("%d fields, want at least 15", len(f))
	}
	q := f[6]
	if len(q) != 1 || q[0] < '0' || q[0] > '8' {
		return fmt.Errorf("quality %q, want 0-8", q)
	}
	s.Quality = int(q[0] - '0')
	tod, todErr := parseTimeOfDay(f[1])
	switch s.Quality {
	case 0, 6, 7, 8:
		if todErr == nil {
			s.TimeOfDay = tod
		}
		return fmt.Errorf("quality %d: %w", s.Quality, ErrNoFix)
	}
	if todErr != nil {
		return todErr
	}
	s.TimeOfDay = tod
	var err error
	if s.Lat, err = parseCoord(f[2], f[3], "lat", 'N', 'S', 90); err != nil {
		return err
	}
	if s.Lon, err = parseCoord(f[4], f[5], "lon", 'E', 'W', 180); err != nil {
		return err
	}
	if f[7] != "" {
		n, err := strconv.Atoi(f[7])
		if err != nil || n < 0 || !isDigits(f[7]) {
			return fmt.Errorf("satellites %q", f[7])
		}
		s.Satellites = n
	}
	if s.HDOP, err = optDecimal(f[8], "hdop", false); err != nil {
		return err
	}
	if s.AltitudeM, err = optDecimal(f[9], "altitude", true); err != nil {
		return err
	}
	return nil
}

// parseTimeOfDay reads hhmmss or hhmmss.s... (UTC).
func parseTimeOfDay(v string) (time.Duration, error) {
	bad := len(v) < 6 || !isDigits(v[:6])
	if frac := v[min(len(v), 6):]; frac != "" && (frac[0] != '.' || !isDigits(frac[1:])) {
		bad = true
	}
	if bad {
		return 0, fmt.Errorf("time %q, want hhmmss[.ss]", v)
	}
	hh, _ := strconv.Atoi(v[0:2])
	mm, _ := strconv.Atoi(v[2:4])
	ss, _ := strconv.ParseFloat(v[4:], 64)
	if hh > 23 || mm > 59 || ss >= 61 {
		return 0, fmt.Errorf("time %q out of range", v)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(math.Round(ss*1e6))*time.Microsecond, nil
}

// parseDate reads ddmmyy as midnight UTC.
func parseDate(v string) (time.Time, error) {
	if len(v) != 6 || !isDigits(v) {
		return time.Time{}, fmt.Errorf("date %q, want ddmmyy", v)
	}
	dd, _ := strconv.Atoi(v[0:2])
	mm, _ := strconv.Atoi(v[2:4])
	yy, _ := strconv.Atoi(v[4:6])
	if yy < 80 {
		yy += 2000
	} else {
		yy += 1900
	}
	t := time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if t.Day() != dd || int(t.Month()) != mm {
		return time.Time{}, fmt.Errorf("date %q out of range", v)
	}
	return t, nil
}

// parseCoord reads (d)ddmm.mmmm and its hemisphere letter.
func parseCoord(v, hemi, what string, pos, neg byte, limit float64) (float64, error) {
	if !isDecimal(v, false) {
		return 0, fmt.Errorf("%s %q, want (d)ddmm.mmmm", what, v)
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", what, v, err)
	}
	deg := math.Floor(x / 100)
	minutes := x - deg*100
	if minutes >= 60 {
		return 0, fmt.Errorf("%s %q: minutes %.4f, want < 60", what, v, minutes)
	}
	val := deg + minutes/60
	if val > limit {
		return 0, fmt.Errorf("%s %q: %.6f degrees, want <= %v", what, v, val, limit)
	}
	switch {
	case len(hemi) == 1 && hemi[0] == pos:
		return val, nil
	case len(hemi) == 1 && hemi[0] == neg:
		return -val, nil
	}
	return 0, fmt.Errorf("%s hemisphere %q, want %c or %c", what, hemi, pos, neg)
}

// optDecimal reads an optional decimal field; empty is 0.
func optDecimal(v, what string, signed bool) (float64, error) {
	if v == "" {
		return 0, nil
	}
	if !isDecimal(v, signed) {
		return 0, fmt.Errorf("%s %q, want a decimal number", what, v)
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", what, v, err)
	}
	return x, nil
}

// isDecimal reports whether v is digits with at most one '.', and at least
// one digit, optionally after a '-' when signed. (strconv.ParseFloat alone
// would also take "Inf", "1e5", "0x1p3" and "1_0".)
func isDecimal(v string, signed bool) bool {
	if signed && strings.HasPrefix(v, "-") {
		v = v[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

func isDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func isUpperAlnum(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// clip shortens a line for an error message.
func clip(line string) string {
	const maxLen = 100
	if len(line) > maxLen {
		return line[:maxLen] + "..."
	}
	return line
}
