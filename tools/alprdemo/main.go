// Command alprdemo runs the whole unit in simulation on one machine: it
// synthesizes plate frames with platesynth, starts an embedded MQTT broker,
// runs alprd on the sim board replaying those frames, and subscribes to the
// unit's topics, printing each read as it arrives with a mark saying whether
// it matches the synthesized plate. `make demo` runs it.
//
// It stops on Ctrl-C, or after -seconds when that is above zero, and then
// stops the daemon with SIGTERM (the daemon drains and says offline) and
// prints a summary.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"alprd/firmware/record"
	"alprd/firmware/uplink"
)

func main() {
	bin := flag.String("bin", "bin", "`folder` holding the alprd and platesynth binaries")
	seconds := flag.Int("seconds", 0, "stop after this many seconds (0: run until Ctrl-C)")
	frames := flag.Int("frames", 24, "synthesized frames to replay")
	fps := flag.Float64("fps", 2, "replay rate, frames per second")
	seed := flag.Uint64("seed", 2026, "synthesizer seed")
	workdir := flag.String("dir", "", "working `folder` (default: a new temporary folder, removed at the end)")
	flag.Parse()
	if err := run(*bin, *workdir, *seconds, *frames, *fps, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "alprdemo:", err)
		os.Exit(1)
	}
}

func run(bin, dir string, seconds, frames int, fps float64, seed uint64) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if seconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(seconds)*time.Second)
		defer cancel()
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "alprdemo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}

	// 1. Frames with ground truth.
	framesDir := filepath.Join(dir, "frames")
	synth := exec.Command(filepath.Join(bin, "platesynth"), "-out", framesDir, "-n", fmt.Sprint(frames), "-seed", fmt.Sprint(seed))
	synth.Stderr = os.Stderr
	if err := synth.Run(); err != nil {
		return fmt.Errorf("platesynth: %w", err)
	}
	truth, err := loadTruth(framesDir)
	if err != nil {
		return err
	}
	fmt.Printf("demo: %d synthesized frames in %s\n", len(truth), framesDir)

	// 2. The broker.
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	broker := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	broker.AddHook(new(auth.AllowHook), nil)
	if err := broker.AddListener(listeners.NewTCP(listeners.Config{ID: "demo", Address: addr})); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	go broker.Serve()
	defer broker.Close()
	fmt.Printf("demo: MQTT broker on %s\n", addr)

	// 3. The subscriber (HQ's side).
	st := &stats{truth: truth}
	sub := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("demo-hq"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("subscriber: connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	tok := sub.Subscribe("alpr/v1/+/+", 1, func(_ paho.Client, m paho.Message) { st.handle(m.Topic(), m.Payload()) })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("subscriber: subscribe: %v", tok.Error())
	}

	// 4. The daemon on the sim board.
	cfg := map[string]any{
		"version": 1,
		"device":  "demo-unit",
		"board":   "sim",
		"camera":  map[string]any{"name": "front", "replay": framesDir, "fps": fps, "loop": true},
		"gps":     map[string]any{"mode": "fixed", "lat": 37.8044, "lon": -122.2712, "accuracy_m": 5},
		"mqtt":    map[string]any{"broker": "tcp://" + addr},
		"log":     map[string]any{"level": "info"},
	}
	cfgPath := filepath.Join(dir, "alprd.json")
	b, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "alprd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	daemon := exec.Command(filepath.Join(bin, "alprd"), "-config", cfgPath)
	daemon.Stdout, daemon.Stderr = logf, logf
	if err := daemon.Start(); err != nil {
		return fmt.Errorf("alprd: %w", err)
	}
	fmt.Printf("demo: alprd running (pid %d, log %s); Ctrl-C stops\n", daemon.Process.Pid, logPath)
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()

	var daemonErr error
	select {
	case <-ctx.Done():
		daemon.Process.Signal(syscall.SIGTERM)
		select {
		case daemonErr = <-exited:
		case <-time.After(30 * time.Second):
			daemon.Process.Kill()
			daemonErr = errors.New("alprd did not stop within 30 s of SIGTERM")
		}
	case daemonErr = <-exited:
		if daemonErr == nil {
			daemonErr = errors.New("alprd exited early")
		}
	}
	time.Sleep(300 * time.Millisecond) // the last messages in flight
	st.summary()
	if daemonErr != nil {
		tail(logPath)
		return fmt.Errorf("alprd: %w", daemonErr)
	}
	return nil
}

type stats struct {
	truth          map[string]bool // plates present in the frames
	mu             sync.Mutex
	reads, correct int
	distinct       map[string]bool
}

func (s *stats) handle(topic string, payload []byte) {
	kind := topic[strings.LastIndex(topic, "/")+1:]
	switch kind {
	case uplink.Reads:
		r, err := record.Decode(payload)
		if err != nil {
			fmt.Printf("read: %v\n", err)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reads++
		mark := "✗"
		if s.truth[r.Plate] {
			mark = "✓"
			s.correct++
			if s.distinct == nil {
				s.distinct = map[string]bool{}
			}
			s.distinct[r.Plate] = true
		}
		pos := "no position"
		if r.Position != nil {
			pos = fmt.Sprintf("%.5f,%.5f ±%.0fm (%s)", r.Position.Lat, r.Position.Lon, r.Position.AccuracyM, r.Position.Source)
		}
		fmt.Printf("read  %s  %-8s %s  confidence %5.1f  %s  %s  %.0f ms\n",
			time.Time(r.Time).Format("15:04:05.000"), r.Plate, mark, r.Confidence, pos, r.Camera, r.ProcessingMS)
	case uplink.State:
		var m uplink.StateMessage
		json.Unmarshal(payload, &m)
		fmt.Printf("state %s: %s %s\n", topic, m.State, m.Firmware)
	default:
		fmt.Printf("%s: %s\n", topic, payload)
	}
}

func (s *stats) summary() {
	s.mu.Lock()
	defer s.mu.Unlock()
	pct := 0.0
	if s.reads > 0 {
		pct = 100 * float64(s.correct) / float64(s.reads)
	}
	fmt.Printf("demo: %d reads, %d correct (%.0f %%), %d of %d plates read correctly at least once\n",
		s.reads, s.correct, pct, len(s.distinct), len(s.truth))
}

// loadTruth reads the plates from the openalpr-layout label files.
func loadTruth(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no label files in %s", dir)
	}
	truth := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		fields := strings.Split(strings.TrimSpace(string(b)), "\t")
		if len(fields) != 6 {
			return nil, fmt.Errorf("%s: got %d fields, want 6", f, len(fields))
		}
		truth[fields[5]] = true
	}
	return truth, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func tail(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	fmt.Fprintln(os.Stderr, "alprd log (last lines):")
	io.WriteString(os.Stderr, strings.Join(lines, "\n")+"\n")
}
