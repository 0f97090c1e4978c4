//go:build race

package tess

// raceEnabled: the race detector is on (its shadow memory makes RSS grow).
const raceEnabled = true
