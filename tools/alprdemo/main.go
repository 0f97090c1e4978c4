// Command alprdemo runs the whole unit in simulation on one machine: it
// synthesizes plate frames with platesynth, starts an embedded MQTT broker,
// runs alprd on the sim board replaying those frames, and subscribes to the
// unit's topics as HQ would: it provisions the unit's keys, opens each
// encrypted and signed envelope, prints each read as it arrives with a mark
// saying whether it matches the synthesized plate, prints the alerts raised
// by a signed hot list it pushes (two of the synthesized plates), and
// acknowledges what it received so that the unit's spool trims. `make demo`
// runs it.
//
// It stops on Ctrl-C, or after -seconds when that is above zero, and then
// stops the daemon with SIGTERM (the daemon drains and says offline) and
// prints a summary.
package main

import (
	"bufio"
	"bytes"
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
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"alprd/firmware/command"
	"alprd/firmware/envelope"
	"alprd/firmware/hotlist"
	"alprd/firmware/record"
	"alprd/firmware/uplink"
	"alprd/tools/alprprov/prov"
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

	// 3. The unit's keys, and HQ's side: the subscriber.
	kit, err := prov.NewDevKit(filepath.Join(dir, "pki"), "demo-unit")
	if err != nil {
		return err
	}
	st := &stats{truth: truth, opener: kit.Opener, got: map[uint64]bool{}}
	sub := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("demo-hq"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("subscriber: connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	st.ack = func(seq uint64) {
		b, _ := json.Marshal(map[string]any{"v": 1, "seq": seq})
		sub.Publish("alpr/v1/demo-unit/ack", 1, false, b)
	}
	tok := sub.Subscribe("alpr/v1/+/+", 1, func(_ paho.Client, m paho.Message) { st.handle(m.Topic(), m.Payload()) })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("subscriber: subscribe: %v", tok.Error())
	}
	// HQ's hot list: two of the plates, signed, in a signed command
	// retained for the unit.
	list, wanted, err := demoHotlist(truth, kit)
	if err != nil {
		return err
	}
	args, _ := json.Marshal(command.HotlistArgs{File: list})
	now := time.Now()
	cmd, err := command.Sign(command.Command{Device: "demo-unit", Name: command.NameHotlist, Seq: uint64(now.Unix()),
		Issued: now, Expires: now.Add(time.Hour), Args: args}, kit.Signing)
	if err != nil {
		return err
	}
	sub.Publish("alpr/v1/demo-unit/cmd/hotlist", 1, true, cmd).WaitTimeout(5 * time.Second)
	fmt.Printf("demo: hot list version 1 pushed with %s\n", strings.Join(wanted, ", "))

	// 4. The daemon on the sim board.
	cfg := map[string]any{
		"version": 1,
		"device":  "demo-unit",
		"board":   "sim",
		"camera":  map[string]any{"name": "front", "replay": framesDir, "fps": fps, "loop": true},
		"gps":     map[string]any{"mode": "fixed", "lat": 37.8044, "lon": -122.2712, "accuracy_m": 5},
		// The synthesizer burns a timestamp into the top-left corner.
		"ocr":     map[string]any{"ignore": [][]float64{{0, 0, 0.35, 0.07}}},
		"mqtt":    map[string]any{"broker": "tcp://" + addr},
		"keys":    map[string]any{"dir": kit.Bundle},
		"storage": map[string]any{"dir": filepath.Join(dir, "state")},
		"console": map[string]any{
			"socket": filepath.Join(dir, "ctl.sock"), "users": filepath.Join(dir, "users"), "crop_dir": filepath.Join(dir, "crops"),
		},
		"log": map[string]any{"level": "info"},
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
	opener         *envelope.Opener
	ack            func(seq uint64)
	mu             sync.Mutex
	reads, correct int
	alerts         int
	distinct       map[string]bool
	got            map[uint64]bool // sequences received
	acked          uint64
}

func (s *stats) handle(topic string, data []byte) {
	kind := topic[strings.LastIndex(topic, "/")+1:]
	if kind == uplink.State || kind == uplink.Ack || strings.Contains(topic, "/cmd/") {
		if kind == uplink.State {
			var m uplink.StateMessage
			json.Unmarshal(data, &m)
			fmt.Printf("state %s: %s %s\n", topic, m.State, m.Firmware)
		}
		return
	}
	h, payload, err := s.opener.Open(data)
	if err != nil {
		fmt.Printf("%s: refused: %v\n", topic, err)
		return
	}
	s.received(h.Seq)
	switch kind {
	case uplink.Alerts:
		var a record.Alert
		json.Unmarshal(payload, &a)
		s.mu.Lock()
		s.alerts++
		s.mu.Unlock()
		fmt.Printf("ALERT %s  read %-8s  hot list %s (%s, priority %d, case %s)  %s match %.2f  -- %s\n",
			time.Time(a.Time).Format("15:04:05.000"), a.Read.Plate, a.Entry.Plate, a.Entry.Type, a.Entry.Priority, a.Entry.Case, a.Match, a.Score, a.Notice)
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
	case uplink.Events:
		fmt.Printf("event %s\n", payload)
	}
}

// received notes a sequence and acknowledges the highest contiguous one.
func (s *stats) received(seq uint64) {
	s.mu.Lock()
	s.got[seq] = true
	next := s.acked
	for s.got[next+1] {
		next++
		delete(s.got, next)
	}
	advanced := next > s.acked
	s.acked = next
	s.mu.Unlock()
	if advanced {
		s.ack(next)
	}
}

// demoHotlist signs a snapshot listing two of the synthesized plates.
func demoHotlist(truth map[string]bool, kit *prov.DevKit) ([]byte, []string, error) {
	var plates []string
	for p := range truth {
		plates = append(plates, p)
	}
	slices.Sort(plates)
	plates = plates[:min(2, len(plates))]
	now := time.Now().UTC()
	var rows []hotlist.Row
	for i, p := range plates {
		typ, reason := "SV", "stolen vehicle"
		if i == 1 {
			typ, reason = "AA", "Amber alert: child abduction suspect vehicle"
		}
		rows = append(rows, hotlist.Row{Op: hotlist.OpAdd, Entry: record.HotEntry{
			Plate: p, State: "CA", Type: typ, Reason: reason, Case: fmt.Sprintf("DEMO-%04d", i+1),
			Agency: "CA0000000", EnteredBy: "demo-hq", Entered: record.Millis(now),
		}})
	}
	var body bytes.Buffer
	if err := hotlist.WriteBody(&body, rows); err != nil {
		return nil, nil, err
	}
	file, err := hotlist.Sign(hotlist.Header{Kind: hotlist.KindSnapshot, Version: 1, Created: now, Source: "alprdemo"}, body.Bytes(), kit.Signing)
	return file, plates, err
}

func (s *stats) summary() {
	s.mu.Lock()
	defer s.mu.Unlock()
	pct := 0.0
	if s.reads > 0 {
		pct = 100 * float64(s.correct) / float64(s.reads)
	}
	fmt.Printf("demo: %d reads, %d correct (%.0f %%), %d of %d plates read correctly at least once; %d alerts; acknowledged up to sequence %d\n",
		s.reads, s.correct, pct, len(s.distinct), len(s.truth), s.alerts, s.acked)
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
