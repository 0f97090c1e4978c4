package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"alprd/firmware/mosquittotest"
	"alprd/tools/platesynth/synth"
)

// BenchmarkDaemonSim runs the real daemon on the sim board for 20 s, replaying
// 1280x720 synthesized frames at 30 fps into a real broker, and reports the
// frames it got through detection and reading per second, the frames it
// dropped, and its resident memory (steady and peak, from /proc).
func BenchmarkDaemonSim(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				benchDaemon(b, workers, 20*time.Second)
			}
		})
	}
}

func benchDaemon(b *testing.B, workers int, d time.Duration) {
	bin := build(b)
	broker := mosquittotest.Start(b)
	dir := b.TempDir()
	frames := filepath.Join(dir, "frames")
	g, err := synth.New(synth.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	if err := synth.WriteDataset(frames, synth.LayoutEndToEnd, 20, g); err != nil {
		b.Fatal(err)
	}
	cfg := filepath.Join(dir, "alprd.json")
	os.WriteFile(cfg, fmt.Appendf(nil, `{"version":1,"device":"bench","camera":{"replay":%q,"fps":30},"ocr":{"workers":%d},"mqtt":{"broker":%q},%s}`, frames, workers, broker.URL(), provisioned(b, "bench")), 0o600)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(d)
	rss, hwm := procMemory(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("daemon: %v\n%s", err, logs.String())
	}
	m := regexp.MustCompile(`alprd stopping"? frames=(\d+) dropped=(\d+) processed=(\d+)`).FindStringSubmatch(logs.String())
	if m == nil {
		b.Fatalf("no shutdown summary in the log:\n%s", logs.String())
	}
	captured, _ := strconv.Atoi(m[1])
	dropped, _ := strconv.Atoi(m[2])
	processed, _ := strconv.Atoi(m[3])
	b.ReportMetric(float64(processed)/d.Seconds(), "frames/s")
	b.ReportMetric(float64(captured)/d.Seconds(), "captured/s")
	b.ReportMetric(100*float64(dropped)/float64(max(captured, 1)), "%dropped")
	b.ReportMetric(rss, "RSS-MB")
	b.ReportMetric(hwm, "peakRSS-MB")
}

// procMemory returns VmRSS and VmHWM of pid in MB.
func procMemory(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
