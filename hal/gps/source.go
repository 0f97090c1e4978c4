package gps

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultStaleAfter is how long a receiver's fix stays current when no newer
// one arrives. Receivers send a fix every second.
const DefaultStaleAfter = 5 * time.Second

// garbageLogEvery is the least time between two log records about garbage
// lines; the lines in between are counted, not logged.
const garbageLogEvery = 10 * time.Second

// maxLine is the longest line read; longer ones are garbage. NMEA caps a
// sentence at 82 characters, some receivers' proprietary ones run longer.
const maxLine = 512

// Stats counts the lines a receiver source has read.
type Stats struct {
	Lines       uint64 // every line, good or bad
	Fixes       uint64 // RMC sentences with a valid fix
	NoFix       uint64 // sentences saying there is no fix
	Unsupported uint64 // valid sentences of other types (GSV, VTG, ...)
	Garbage     uint64 // bad checksum, no checksum, malformed, too long
}

// tracker keeps the latest fix from a stream of NMEA lines. It merges the
// position and time of RMC with the HDOP of the latest GGA.
type tracker struct {
	log *slog.Logger

	mu     sync.Mutex
	last   Fix           // latest fix, kept after it is lost or stale
	valid  bool          // false before the first fix and after the receiver said no fix
	at     time.Time     // local time last was received, for staleness
	hdop   float64       // from the latest valid GGA
	hdopAt time.Time     // when hdop was received
	tod    time.Duration // TimeOfDay of the RMC behind last
	stats  Stats

	lastLog  time.Time // last garbage log record
	unlogged uint64    // garbage lines since
}

func newTracker(log *slog.Logger) tracker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return tracker{log: log}
}

// read feeds the lines of r to t until r fails or ctx is done (checked
// between lines). It returns ctx.Err() or r's error (io.EOF at the end).
func (t *tracker) read(ctx context.Context, r io.Reader, stale time.Duration) error {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := readLine(br)
		if tooLong || len(line) > 0 {
			t.handle(line, tooLong, stale)
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return err
		}
	}
}

// readLine returns the next line without its end, or tooLong (and the line
// dropped) if it does not fit the reader's buffer.
func readLine(br *bufio.Reader) (line string, tooLong bool, err error) {
	b, err := br.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		tooLong = true
		_, err = br.ReadSlice('\n')
	}
	if tooLong {
		return "", true, err
	}
	return string(b), false, err
}

// handle takes one line. Blank lines are skipped.
func (t *tracker) handle(line string, tooLong bool, stale time.Duration) {
	if !tooLong && strings.TrimSpace(line) == "" {
		return
	}
	var s Sentence
	err := fmt.Errorf("gps: read nmea: line longer than %d bytes: %w", maxLine, ErrMalformed)
	if !tooLong {
		s, err = ParseSentence(line)
	}
	now := time.Now()

	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Lines++
	switch {
	case err == nil && s.Type == "RMC":
		t.stats.Fixes++
		acc := 0.0
		if t.hdop > 0 && now.Sub(t.hdopAt) <= stale {
			acc = t.hdop * UERE
		}
		if !t.valid {
			t.log.Info("gps: fix acquired", "lat", s.Lat, "lon", s.Lon, "time", s.Time)
		}
		t.last = Fix{Lat: s.Lat, Lon: s.Lon, AccuracyM: acc, Source: "gps", Time: s.Time}
		t.valid, t.at, t.tod = true, now, s.TimeOfDay
	case err == nil && s.Type == "GGA":
		t.hdop, t.hdopAt = s.HDOP, now
		// The GGA of the epoch of the current fix: its HDOP is the fix's.
		if t.valid && s.HDOP > 0 && s.TimeOfDay == t.tod {
			t.last.AccuracyM = s.HDOP * UERE
		}
	case errors.Is(err, ErrNoFix):
		t.stats.NoFix++
		if t.valid {
			t.log.Warn("gps: fix lost", "sentence", s.Talker+s.Type)
		}
		t.valid = false
	case errors.Is(err, ErrUnsupported):
		t.stats.Unsupported++
	default:
		t.stats.Garbage++
		t.unlogged++
		if t.lastLog.IsZero() || now.Sub(t.lastLog) >= garbageLogEvery {
			t.log.Warn("gps: ignoring garbage lines", "count", t.unlogged, "total", t.stats.Garbage, "last_error", err)
			t.lastLog, t.unlogged = now, 0
		}
	}
}

// position returns the latest fix and whether it is valid and not older than
// stale.
func (t *tracker) position(stale time.Duration) (Fix, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last, t.valid && time.Since(t.at) <= stale
}

func (t *tracker) getStats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats
}

func staleOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultStaleAfter
	}
	return d
}

// NMEA is a Source that reads NMEA 0183 lines from a reader it does not own.
// Lines that are not valid sentences are counted and skipped (logged at most
// every 10 s). The position and time of a fix come from RMC sentences, its
// AccuracyM from the HDOP of the latest GGA (HDOP × UERE; 0 when no GGA came
// within StaleAfter). A sentence saying there is no fix makes the fix invalid
// at once.
type NMEA struct {
	// StaleAfter is how old a fix may be and still be current; 0 means
	// DefaultStaleAfter. Set it before using the source.
	StaleAfter time.Duration

	r io.Reader
	t tracker
}

// NewNMEA returns a source reading r. It does no I/O. log may be nil.
func NewNMEA(r io.Reader, log *slog.Logger) *NMEA {
	return &NMEA{r: r, t: newTracker(log)}
}

// Run reads lines until r fails, returning an error that wraps r's error
// (io.EOF at the end of a replay), or until ctx is done, returning ctx.Err().
// ctx is checked between lines, so Run cannot return while a Read blocks:
// close the reader to stop it then (an *os.File or an io.Pipe returns from
// Read when closed; Serial does this for its port). Run must not be called
// again while it runs.
func (n *NMEA) Run(ctx context.Context) error {
	err := n.t.read(ctx, n.r, staleOr(n.StaleAfter))
	if ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("gps: read nmea: %w", err)
}

// Position returns the latest fix, and true if it is valid and at most
// StaleAfter old. When ok is false the Fix is the last one known (zero if
// none), to be used only as a last known position.
func (n *NMEA) Position() (Fix, bool) { return n.t.position(staleOr(n.StaleAfter)) }

// Stats returns the line counts so far.
func (n *NMEA) Stats() Stats { return n.t.getStats() }

// Serial is a Source that opens a serial GPS receiver in Run and reads NMEA
// from it like NMEA does. The fix survives a failed Run, so the caller can
// call Run again to retry while Position keeps answering until the fix goes
// stale.
type Serial struct {
	// StaleAfter is as for NMEA. Set it before using the source.
	StaleAfter time.Duration

	device string
	baud   int
	t      tracker
}

// NewSerial returns a source for the receiver on device (e.g. /dev/serial0)
// at baud bits per second (9600 for most receivers). It does no I/O. log may
// be nil.
func NewSerial(device string, baud int, log *slog.Logger) *Serial {
	return &Serial{device: device, baud: baud, t: newTracker(log)}
}

// Run opens the device with OpenSerial and reads it until ctx is done, then
// closes it and returns ctx.Err(). It returns an error if the device cannot
// be opened (wrapping os.ErrNotExist if it is not there) or fails while read;
// the caller may call Run again to retry. Run must not be called again while
// it runs.
func (s *Serial) Run(ctx context.Context) error {
	port, err := OpenSerial(s.device, s.baud)
	if err != nil {
		return err
	}
	var once sync.Once
	closePort := func() { once.Do(func() { port.Close() }) }
	stop := context.AfterFunc(ctx, closePort) // unblocks a pending Read
	defer stop()
	defer closePort()

	err = s.t.read(ctx, port, staleOr(s.StaleAfter))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("gps: read %s: %w", s.device, err)
}

// Position is as for NMEA.
func (s *Serial) Position() (Fix, bool) { return s.t.position(staleOr(s.StaleAfter)) }

// Stats returns the line counts so far, over every Run.
func (s *Serial) Stats() Stats { return s.t.getStats() }

// Device returns the serial device the source opens.
func (s *Serial) Device() string { return s.device }

var (
	_ Source = (*NMEA)(nil)
	_ Source = (*Serial)(nil)
)
