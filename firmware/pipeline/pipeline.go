// Package pipeline moves frames from the camera to read records:
//
//	capture --(bounded queue, drop oldest)--> workers (detect, read) --> tracker --> sink
//
// Capture never waits on OCR: when the queue is full the oldest frame is
// dropped and counted. Each worker owns one ocr.Reader (Tesseract handles are
// not goroutine-safe). The tracker votes one read per pass of a vehicle and
// hands it to a Sink (the wiring's: hot list check, alerts, spool). On
// shutdown capture stops, the workers finish the frames already queued, and
// the sink takes what they produced before Run returns.
//
// The package sees only interfaces and value types; the wiring package
// (firmware/unit) gives it adapters.
package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"alprd/firmware/record"
	"alprd/firmware/track"
	"alprd/hal/camera"
	"alprd/hal/gps"
	"alprd/ocr"
)

// Illuminator is the part of the IR illuminator capture drives: a pulse in
// step with each exposure.
type Illuminator interface {
	Strobe(d time.Duration) error
}

// Sink takes the pipeline's reads.
type Sink interface {
	// Put takes one read. It may block while the sink is behind; it returns
	// an error when the read is lost, and returns once ctx is done (with an
	// error wrapping ctx.Err() if the read was not taken).
	Put(ctx context.Context, r record.Read) error
}

// Config is what the pipeline needs. Zero values take the defaults noted.
type Config struct {
	Device, Camera string
	Firmware       string

	Source    camera.Source
	Detector  ocr.Detector
	NewReader func() (ocr.Reader, error) // called once per worker
	Corrector ocr.Corrector              // nil: readings kept as read
	// Track groups a vehicle's detections over consecutive frames and votes
	// one read per pass. A zero Window turns tracking off: every plate of
	// every frame is a read of its own.
	Track  track.Config
	Sink   Sink
	GPS    gps.Source  // nil: reads carry no position
	Light  Illuminator // nil: no strobe
	Strobe time.Duration

	Workers       int        // default 1
	Queue         int        // frames between capture and workers; default 4
	MaxPlates     int        // regions read per frame; 0: ocr.Engine's default (3)
	Reread        float64    // see ocr.Engine.Reread; 0: one read per region
	MinConfidence float64    // reads below are dropped
	MinChars      int        // readings shorter are not plates; 0: ocr.Engine's default (ocr.DefaultMinChars)
	MaxChars      int        // readings longer are not plates; 0: ocr.Engine's default (ocr.DefaultMaxChars)
	Ignore        []ocr.Area // parts of the frame whose regions are not read (see ocr.Area)
	CropQuality   int        // default 85
	DrainTimeout  time.Duration
	Log           *slog.Logger
	// Ready, when set, is called once the camera is open and the readers are
	// made, before the first frame.
	Ready func(*Pipeline)
}

// Stats are the pipeline's counters since Run started.
type Stats struct {
	Frames      uint64 // captured
	Dropped     uint64 // dropped because OCR was behind
	Processed   uint64 // through detection and reading
	Regions     uint64 // plate regions read
	Reads       uint64 // reads produced (one per pass when tracking)
	Delivered   uint64 // taken by the sink
	Undelivered uint64 // reads the sink refused or did not take by the end of the drain
	CameraErrs  uint64 // camera failures (reopened)
}

// Pipeline runs the stages. Make one with New, start it with Run.
type Pipeline struct {
	cfg Config
	log *slog.Logger

	frames, dropped, processed, regions, reads, delivered, undelivered, cameraErrs atomic.Uint64
	lastFrame                                                                      atomic.Int64 // unix ns
	// inFlight counts the frames queued whose result the tracker has not
	// taken yet (see track).
	inFlight atomic.Int64
}

// New checks cfg and returns a pipeline; it does no I/O.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Source == nil || cfg.Detector == nil || cfg.NewReader == nil || cfg.Sink == nil {
		return nil, errors.New("pipeline: Source, Detector, NewReader and Sink are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 4
	}
	if cfg.CropQuality <= 0 {
		cfg.CropQuality = 85
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{cfg: cfg, log: cfg.Log}, nil
}

// Stats returns the counters.
func (p *Pipeline) Stats() Stats {
	return Stats{
		Frames: p.frames.Load(), Dropped: p.dropped.Load(), Processed: p.processed.Load(),
		Regions: p.regions.Load(), Reads: p.reads.Load(), Delivered: p.delivered.Load(),
		Undelivered: p.undelivered.Load(), CameraErrs: p.cameraErrs.Load(),
	}
}

// LastFrame returns when capture last received a frame (zero before the first).
func (p *Pipeline) LastFrame() time.Time {
	ns := p.lastFrame.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Run opens the camera and the readers and runs until ctx is done or the source
// ends (a replay that does not loop), then drains. It returns nil after a clean
// stop, or the error that stopped it.
func (p *Pipeline) Run(ctx context.Context) error {
	readers := make([]ocr.Reader, 0, p.cfg.Workers)
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	for range p.cfg.Workers {
		r, err := p.cfg.NewReader()
		if err != nil {
			return fmt.Errorf("pipeline: reader: %w", err)
		}
		readers = append(readers, r)
	}
	if err := p.cfg.Source.Open(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while the camera was opening: a clean stop
		}
		return fmt.Errorf("pipeline: camera: %w", err)
	}
	defer p.cfg.Source.Close()
	if p.cfg.Ready != nil {
		p.cfg.Ready(p)
	}

	queue := make(chan queued, p.cfg.Queue)
	results := make(chan result, p.cfg.Workers)
	out := make(chan record.Read, 64)
	captureErr := make(chan error, 1)
	captured := make(chan struct{}) // closed when capture stops, for any reason

	go func() { captureErr <- p.capture(ctx, queue); close(captured) }()

	var workers sync.WaitGroup
	for _, r := range readers {
		e := &ocr.Engine{
			Detector: p.cfg.Detector, Reader: r, Corrector: p.cfg.Corrector,
			MaxPlates: p.cfg.MaxPlates, MinChars: p.cfg.MinChars, MaxChars: p.cfg.MaxChars,
			Reread: p.cfg.Reread, Ignore: p.cfg.Ignore,
		}
		workers.Go(func() { p.work(queue, results, e) })
	}
	trackDone := make(chan struct{})
	go func() { p.track(results, out); close(trackDone) }()
	pubDone := make(chan struct{})
	go func() { p.deliver(ctx, captured, out); close(pubDone) }()

	err := <-captureErr
	workers.Wait()
	close(results)
	<-trackDone
	close(out)
	<-pubDone
	return err
}

// capture reads frames and queues them, dropping the oldest when the workers
// are behind. It closes queue when it returns.
func (p *Pipeline) capture(ctx context.Context, queue chan queued) error {
	defer close(queue)
	backoff := 500 * time.Millisecond
	for {
		f, err := p.cfg.Source.Next(ctx)
		switch {
		case err == nil:
			backoff = 500 * time.Millisecond
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, io.EOF):
			p.log.Info("pipeline: camera source ended")
			return nil
		case errors.Is(err, camera.ErrLost):
			p.cameraErrs.Add(1)
			p.log.Error("pipeline: camera lost, reopening", "err", err, "in", backoff)
			p.cfg.Source.Close()
			// Keep trying: a camera that re-enumerates after a reset may not
			// be back at the first attempt. A camera gone for good stalls the
			// frames, and the watchdog restarts the unit.
			for {
				if !sleep(ctx, backoff) {
					return nil
				}
				backoff = min(2*backoff, 10*time.Second)
				err := p.cfg.Source.Open(ctx)
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					return nil
				}
				p.log.Error("pipeline: camera reopen failed", "err", err, "in", backoff)
			}
			continue
		default:
			return fmt.Errorf("pipeline: camera: %w", err)
		}
		if p.cfg.Light != nil && p.cfg.Strobe > 0 {
			p.cfg.Light.Strobe(p.cfg.Strobe)
		}
		p.frames.Add(1)
		p.lastFrame.Store(time.Now().UnixNano())
		// The position is taken now, not when a worker gets to the frame:
		// a read says where the unit was when the frame was captured.
		q := queued{Frame: f}
		if p.cfg.GPS != nil {
			if pos, ok := p.cfg.GPS.Position(); ok {
				q.fix = &pos
			}
		}
		p.inFlight.Add(1)
		select {
		case queue <- q:
			continue
		default:
		}
		// Full: drop the oldest. Only capture sends, so a slot is free after.
		select {
		case <-queue:
			p.dropped.Add(1)
			p.inFlight.Add(-1)
		default:
		}
		select {
		case queue <- q:
		default:
			p.dropped.Add(1)
			p.inFlight.Add(-1)
		}
	}
}

// queued is a frame waiting for a worker, with the position at its capture.
type queued struct {
	camera.Frame
	fix *gps.Fix // nil: no fix
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// result is one frame's plates on their way from a worker to the tracker.
type result struct {
	queued
	plates []ocr.Plate
}

// work recognises the plates in each frame until queue is closed and empty.
func (p *Pipeline) work(queue <-chan queued, results chan<- result, e *ocr.Engine) {
	for f := range queue {
		before := e.RegionsRead
		plates, err := e.Recognize(f.Gray)
		if err != nil {
			p.log.Error("pipeline: read failed", "err", err)
		}
		p.regions.Add(e.RegionsRead - before)
		p.processed.Add(1)
		results <- result{f, plates}
	}
}

// track turns frames' plates into reads: one per pass of a vehicle when
// tracking is on, one per plate otherwise. It flushes open tracks when results
// is closed, and closes tracks by the clock while no frame is on its way:
// while frames wait in the queue or in a worker, their capture times move
// the tracker on when their results come. A worker stalled for longer than
// the track window (a slow reading, a busy CPU) would otherwise close a
// vehicle's track while the next frames of its pass were queued, and split
// the pass into several reads.
func (p *Pipeline) track(results <-chan result, out chan<- record.Read) {
	if p.cfg.Track.Window <= 0 {
		for r := range results {
			p.inFlight.Add(-1)
			for _, pl := range r.plates {
				p.emit(out, single(r, pl))
			}
		}
		return
	}
	tr := track.New(p.cfg.Track)
	tick := time.NewTicker(p.cfg.Track.Window / 2)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-results:
			if !ok {
				for _, pass := range tr.Flush() {
					p.emit(out, pass)
				}
				return
			}
			p.inFlight.Add(-1)
			obs := make([]track.Observation, len(r.plates))
			for i, pl := range r.plates {
				obs[i] = track.Observation{Time: r.Time, Seq: r.Seq, Plate: pl, Meta: r.fix}
			}
			for _, pass := range tr.Add(r.Time, obs...) {
				p.emit(out, pass)
			}
		case now := <-tick.C:
			if p.inFlight.Load() > 0 {
				continue
			}
			for _, pass := range tr.Add(now) {
				p.emit(out, pass)
			}
		}
	}
}

// single is the pass of one plate in one frame, when tracking is off.
func single(r result, pl ocr.Plate) track.Pass {
	return track.Pass{
		Text: pl.Reading.Text, Confidence: pl.Reading.Confidence, Candidates: pl.Reading.Candidates,
		Best:   track.Observation{Time: r.Time, Seq: r.Seq, Plate: pl, Meta: r.fix},
		Frames: 1, First: r.Time, Last: r.Time,
	}
}

// emit makes the read record of a pass.
func (p *Pipeline) emit(out chan<- record.Read, pass track.Pass) {
	if pass.Text == "" || pass.Short || pass.Confidence < p.cfg.MinConfidence {
		return
	}
	best := pass.Best
	fix, _ := best.Meta.(*gps.Fix)
	var jb bytes.Buffer
	jpeg.Encode(&jb, best.Plate.Crop, &jpeg.Options{Quality: p.cfg.CropQuality})
	p.reads.Add(1)
	out <- record.Read{
		V:            record.Version,
		ID:           record.NewID(),
		Device:       p.cfg.Device,
		Camera:       p.cfg.Camera,
		Time:         record.Millis(best.Time.UTC()),
		Position:     fix,
		Plate:        pass.Text,
		Raw:          best.Plate.Reading.Raw,
		Confidence:   pass.Confidence,
		Candidates:   pass.Candidates,
		Box:          record.BoxOf(best.Plate.Region.Box),
		Crop:         jb.Bytes(),
		ProcessingMS: float64(best.Plate.Elapsed.Microseconds()) / 1000,
		FrameSeq:     best.Seq,
		Frames:       pass.Frames,
		Firmware:     p.cfg.Firmware,
	}
}

// deliver hands reads to the sink until out is closed. Once capture has
// stopped (ctx done, the source ended or failed) it keeps going for at most
// DrainTimeout, so that reads already made are not lost but a stuck sink
// cannot hold the shutdown forever.
func (p *Pipeline) deliver(ctx context.Context, captured <-chan struct{}, out <-chan record.Read) {
	drainCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		select {
		case <-captured:
		case <-drainCtx.Done():
			return
		}
		t := time.NewTimer(p.cfg.DrainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-drainCtx.Done():
		}
	}()
	for rd := range out {
		if err := p.cfg.Sink.Put(drainCtx, rd); err != nil {
			p.undelivered.Add(1)
			p.log.Error("pipeline: read lost", "id", rd.ID, "err", err)
			continue
		}
		p.delivered.Add(1)
		p.log.Debug("pipeline: read", "plate", rd.Plate, "confidence", rd.Confidence)
	}
}
