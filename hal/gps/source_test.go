package gps

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const (
	rmc = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"
	gga = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"
)

// syncBuffer is a bytes.Buffer for a logger written from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNMEAStream(t *testing.T) {
	stream := strings.Join([]string{
		"", // blank lines are skipped
		"\x00\xff\xfe garbage from the baud rate change",
		withSum("GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00"),
		"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B", // bad checksum
		"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",    // no checksum
		withSum("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9"),                // truncated
		gga,
		"$GPRMC,123519,A,48",
		rmc,
		strings.Repeat("x", 2*maxLine),
		withSum("PUBX,00"),
	}, "\r\n") // no newline after the last line
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	src := NewNMEA(strings.NewReader(stream), log)

	err := src.Run(context.Background())
	if !errors.Is(err, io.EOF) {
		t.Errorf("Run: got error %v, want io.EOF", err)
	}
	fix, ok := src.Position()
	if !ok {
		t.Fatalf("Position: got ok false, want true")
	}
	want := Fix{Lat: 48 + 7.038/60, Lon: 11 + 31.0/60, AccuracyM: 0.9 * UERE, Source: "gps",
		Time: time.Date(1994, 3, 23, 12, 35, 19, 0, time.UTC)}
	if !near(fix.Lat, want.Lat) || !near(fix.Lon, want.Lon) || !near(fix.AccuracyM, want.AccuracyM) ||
		fix.Source != want.Source || !fix.Time.Equal(want.Time) {
		t.Errorf("Position:\ngot  %+v\nwant %+v", fix, want)
	}
	gotStats := src.Stats()
	wantStats := Stats{Lines: 10, Fixes: 1, Unsupported: 2, Garbage: 6}
	if gotStats != wantStats {
		t.Errorf("Stats: got %+v, want %+v", gotStats, wantStats)
	}
	// Six garbage lines at once: one log record.
	if got := strings.Count(logs.String(), "ignoring garbage"); got != 1 {
		t.Errorf("garbage log records: got %d, want 1\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "fix acquired") {
		t.Errorf("log: got no fix acquired record in\n%s", logs.String())
	}
}

func TestNMEAAccuracyMerge(t *testing.T) {
	ggaNext := withSum("GPGGA,123520,4807.038,N,01131.000,E,1,08,2.0,545.4,M,46.9,M,,")
	rmcNext := withSum("GPRMC,123520,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")
	tests := []struct {
		name  string
		lines []string
		want  float64
	}{
		{"rmc only", []string{rmc}, 0},
		{"gga then rmc", []string{gga, rmc}, 0.9 * UERE},
		{"rmc then gga of the same epoch", []string{rmc, gga}, 0.9 * UERE},
		{"next epoch, rmc first: previous hdop until its gga", []string{gga, rmc, rmcNext}, 0.9 * UERE},
		{"next epoch complete", []string{gga, rmc, rmcNext, ggaNext}, 2.0 * UERE},
		{"gga of another epoch does not change the fix", []string{rmc, ggaNext}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := NewNMEA(strings.NewReader(strings.Join(tt.lines, "\n")+"\n"), nil)
			if err := src.Run(context.Background()); !errors.Is(err, io.EOF) {
				t.Fatalf("Run: got error %v, want io.EOF", err)
			}
			fix, ok := src.Position()
			if !ok {
				t.Fatal("Position: got ok false, want true")
			}
			if !near(fix.AccuracyM, tt.want) {
				t.Errorf("AccuracyM: got %v, want %v", fix.AccuracyM, tt.want)
			}
		})
	}
}

func TestNMEANoFixLosesFix(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  bool
	}{
		{"fix", []string{rmc}, true},
		{"rmc V after fix", []string{rmc, "$GPRMC,,V,,,,,,,,,,N*53"}, false},
		{"gga 0 after fix", []string{rmc, withSum("GPGGA,123520,,,,,0,00,99.99,,,,,,")}, false},
		{"fix again", []string{rmc, "$GPRMC,,V,,,,,,,,,,N*53", rmc}, true},
		{"never", []string{"$GPRMC,,V,,,,,,,,,,N*53"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := NewNMEA(strings.NewReader(strings.Join(tt.lines, "\n")), nil)
			_ = src.Run(context.Background())
			if _, ok := src.Position(); ok != tt.want {
				t.Errorf("Position ok: got %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestNMEAStale(t *testing.T) {
	tests := []struct {
		name  string
		stale time.Duration
		want  time.Duration // effective limit
	}{
		{"default", 0, DefaultStaleAfter},
		{"configured", 2 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pr, pw := io.Pipe()
				src := NewNMEA(pr, nil)
				src.StaleAfter = tt.stale
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- src.Run(ctx) }()

				if _, ok := src.Position(); ok {
					t.Error("Position before any line: got ok true, want false")
				}
				if _, err := io.WriteString(pw, gga+"\r\n"+rmc+"\r\n"); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if _, ok := src.Position(); !ok {
					t.Error("Position just after a fix: got ok false, want true")
				}
				time.Sleep(tt.want)
				if _, ok := src.Position(); !ok {
					t.Errorf("Position %v after a fix: got ok false, want true", tt.want)
				}
				time.Sleep(time.Nanosecond)
				fix, ok := src.Position()
				if ok {
					t.Errorf("Position just over %v after a fix: got ok true, want false", tt.want)
				}
				if fix.Source != "gps" {
					t.Errorf("stale Position: got Source %q, want the last fix (gps)", fix.Source)
				}
				// A new fix makes it current again.
				if _, err := io.WriteString(pw, rmc+"\n"); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if _, ok := src.Position(); !ok {
					t.Error("Position after a new fix: got ok false, want true")
				}

				cancel()
				pw.Close() // unblock the pending Read
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("Run: got error %v, want context.Canceled", err)
				}
			})
		})
	}
}

func TestNMEAGarbageLogRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		var logs syncBuffer
		src := NewNMEA(pr, slog.New(slog.NewTextHandler(&logs, nil)))
		done := make(chan error)
		go func() { done <- src.Run(t.Context()) }()

		write := func(lines ...string) {
			t.Helper()
			if _, err := io.WriteString(pw, strings.Join(lines, "\n")+"\n"); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		write("junk", "junk", "junk")
		time.Sleep(5 * time.Second)
		write("junk")
		if got := strings.Count(logs.String(), "ignoring garbage"); got != 1 {
			t.Errorf("records after 4 garbage lines in 5 s: got %d, want 1", got)
		}
		time.Sleep(5 * time.Second)
		write("junk")
		if got := strings.Count(logs.String(), "ignoring garbage"); got != 2 {
			t.Errorf("records after 10 s: got %d, want 2", got)
		}
		if !strings.Contains(logs.String(), "count=4 total=5") {
			t.Errorf("second record: got\n%s\nwant count=4 total=5", logs.String())
		}
		if got := src.Stats().Garbage; got != 5 {
			t.Errorf("Stats().Garbage: got %d, want 5", got)
		}
		pw.CloseWithError(errors.New("unplugged"))
		if err := <-done; err == nil || err.Error() != "gps: read nmea: unplugged" {
			t.Errorf("Run: got error %v, want gps: read nmea: unplugged", err)
		}
	})
}

func TestFixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := Fix{Lat: -33.8568, Lon: 151.2153, AccuracyM: 2, Source: "config", Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		src := NewFixed(in)
		time.Sleep(time.Hour)
		got, ok := src.Position()
		if !ok {
			t.Error("Position: got ok false, want true")
		}
		want := in
		want.Source = "fixed"
		want.Time = time.Now().UTC()
		if got != want {
			t.Errorf("Position:\ngot  %+v\nwant %+v", got, want)
		}

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- src.Run(ctx) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Run returned %v before ctx was done, want it to block", err)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: got error %v, want context.Canceled", err)
		}
	})
}
