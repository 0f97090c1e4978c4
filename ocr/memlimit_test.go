package ocr

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestLimitGoMemory(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "")
	if !LimitGoMemory() {
		t.Fatal("LimitGoMemory without GOMEMLIMIT: reported it set nothing")
	}
	if got := debug.SetMemoryLimit(-1); got != GoMemLimit {
		t.Errorf("limit without GOMEMLIMIT: got %d, want %d", got, GoMemLimit)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "1GiB")
	if LimitGoMemory() {
		t.Error("LimitGoMemory with GOMEMLIMIT set: reported it set the limit")
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit with GOMEMLIMIT set: got %d, want it left at %d", got, int64(math.MaxInt64))
	}
}
