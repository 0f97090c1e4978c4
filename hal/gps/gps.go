// Package gps tells the unit where it is: NMEA 0183 sentences (RMC, GGA) from a
// serial receiver, or a fixed position from the configuration for pole-mounted
// units. Every read carries the Fix current when its frame was captured.
//
// Sources: NMEA (sentences from any reader), Serial (a receiver on a serial
// port, opened by Run), NewFixed (a pole unit's configured position), and
// gpstest.Source, a fake for tests. ParseSentence decodes one NMEA line.
package gps

import (
	"context"
	"time"
)

// Fix is a position with where it came from.
type Fix struct {
	Lat       float64   `json:"lat"`        // degrees, WGS 84, north positive
	Lon       float64   `json:"lon"`        // degrees, WGS 84, east positive
	AccuracyM float64   `json:"accuracy_m"` // estimated horizontal error, metres (HDOP x UERE for NMEA); 0 when unknown
	Source    string    `json:"source"`     // "gps", "fixed"
	Time      time.Time `json:"time"`       // when the fix was taken (UTC)
}

// Source gives the current position.
type Source interface {
	// Run reads the receiver until ctx is done or the device fails; fixed
	// sources return when ctx is done. It must run for Position to change.
	Run(ctx context.Context) error
	// Position returns the latest fix and whether there is one that is not
	// stale. It never blocks.
	Position() (Fix, bool)
}
