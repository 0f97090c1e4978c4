//go:build !race

package tess

const raceEnabled = false
