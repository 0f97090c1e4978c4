package unit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"alprd/firmware/alert"
	"alprd/firmware/command"
	"alprd/firmware/config"
	"alprd/firmware/ctl"
	"alprd/firmware/envelope"
	"alprd/firmware/hotlist"
	"alprd/firmware/record"
	"alprd/firmware/spool"
	"alprd/firmware/uplink"
	"alprd/firmware/vault"
	"alprd/hal/pins"
	"alprd/ocr"
)

// services are the unit's parts after the pipeline: sealed storage, the hot
// list, alerts, the spool and its sender, the uplink and the console.
type services struct {
	cfg     config.Config
	log     *slog.Logger
	started time.Time

	vault  *vault.Vault
	hot    *hotlist.Store
	recent *hotlist.Recent[record.Read]
	book   *alert.Book
	sp     *spool.Spool
	out    spoolOutbox
	send   *sender
	up     *uplink.MQTT
	feed   *feed
	ctl    *ctl.Server
	disp   *dispatch
	beeps  sync.WaitGroup
	reads  atomic.Uint64
	pl     atomic.Pointer[pipelineStats]
	tester atomic.Pointer[selfTester] // once the pipeline exists

	keys     unitKeys
	commands *command.Verifier
	cmdQueue chan incoming // commands in order of arrival, carried out one at a time

	// stopSend stops the sender: after the final flush, not when the
	// unit's context ends, so that a clean stop publishes what it spooled.
	stopSend context.CancelFunc
}

// pipelineStats gives the pipeline's counters to health reports.
type pipelineStats interface {
	counters() (frames, dropped uint64)
}

// openServices opens storage, keys, hot list, alerts, spool and uplink. On
// error what was opened is closed.
func openServices(cfg config.Config, log *slog.Logger, buzzer *pins.Buzzer) (s *services, err error) {
	s = &services{cfg: cfg, log: log, started: time.Now()}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	keys, err := loadKeys(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	key, made, err := storageKey(cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("%w: storage key: %w", ErrConfig, err)
	}
	if made {
		log.Warn("no storage key credential: using the key kept in the state folder (development only)")
	}
	v, err := vault.Open(filepath.Join(cfg.Storage.Dir, "vault"), key)
	if err != nil {
		return nil, err
	}
	s.vault = v
	if s.hot, err = hotlist.Open(v, keys.hqSigning, log); err != nil {
		return nil, err
	}
	if p := s.hot.Status().Problem; p != "" {
		log.Error("stored hot list refused: running without it", "problem", p)
	}
	s.recent = hotlist.NewRecent[record.Read](cfg.Hotlist.Recent.Duration, 20_000)
	var bz alert.Buzzer
	if buzzer != nil {
		bz = buzzer
	}
	if s.book, err = alert.Open(alert.Config{Device: cfg.Device, Files: v, Buzzer: bz, Log: log}); err != nil {
		return nil, err
	}
	sealer, err := envelope.NewSealer(envelope.SealerConfig{
		Device: cfg.Device, Epoch: keys.epoch, HQKey: keys.hqKey, Signer: keys.device, Now: time.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: keys: %w", ErrConfig, err)
	}
	if s.sp, err = spool.Open(filepath.Join(cfg.Storage.Dir, "spool"), spool.Options{
		Logger:         log,
		MaxBytes:       int64(cfg.Spool.MaxMB) << 20,
		CommitCount:    cfg.Spool.CommitCount,
		CommitInterval: cfg.Spool.CommitMS.Duration,
	}); err != nil {
		return nil, err
	}
	s.out = spoolOutbox{sp: s.sp, sealer: &atomic.Pointer[envelope.Sealer]{}}
	s.out.sealer.Store(sealer)
	s.keys = keys
	s.commands = &command.Verifier{Keyring: keys.hqSigning, Device: cfg.Device, Store: v}
	s.cmdQueue = make(chan incoming, 64)
	if err := s.loadRotatedKey(); err != nil {
		return nil, err
	}
	if s.feed, err = newFeed(cfg.Console.CropDir); err != nil {
		return nil, err
	}
	s.disp = &dispatch{
		hot: storeMatcher{s.hot}, recent: s, book: s.book, out: s.out, console: s.feed,
		log: log, now: time.Now, beeps: func(f func()) { s.beeps.Go(f) },
	}
	s.send = &sender{sp: s.sp, out: s.out, log: log, resend: cfg.Spool.ResendS.Duration, window: uint64(cfg.Spool.Window)}

	password, err := mqttPassword(cfg.MQTT)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.up = uplink.New(uplink.Config{
		Broker:      cfg.MQTT.Broker,
		ClientID:    cfg.MQTT.ClientID,
		Username:    cfg.MQTT.Username,
		Password:    password,
		TopicPrefix: cfg.MQTT.TopicPrefix,
		Device:      cfg.Device,
		Firmware:    Version,
		KeepAlive:   cfg.MQTT.KeepAlive.Duration,
		Timeout:     cfg.MQTT.Timeout.Duration,
		TLS:         keys.tlsConfig(),
		Subscribe: map[string]func(string, []byte){
			uplink.Ack: s.send.onAck,
			"cmd/+":    s.queueCommand,
		},
		Log: log,
	})
	s.send.up = s.up

	s.ctl, err = ctl.New(ctl.Config{
		Socket: cfg.Console.Socket, Users: cfg.Console.Users, Device: cfg.Device,
		Handler: (*officer)(s), Audit: s.audit, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// run starts the uplink, the sender, the console and the health reports;
// they stop when ctx is done.
func (s *services) run(ctx context.Context, wg *sync.WaitGroup) error {
	if err := s.ctl.Listen(); err != nil {
		return err
	}
	s.up.Start()
	sendCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopSend = stop
	wg.Go(func() { s.send.run(sendCtx) })
	wg.Go(func() {
		if err := s.ctl.Serve(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("console socket", "err", err)
		}
	})
	wg.Go(func() { s.healthLoop(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case in := <-s.cmdQueue:
				s.command(in.topic, in.payload)
			}
		}
	})
	return nil
}

// incoming is a message from HQ on a command topic.
type incoming struct {
	topic   string
	payload []byte
}

// queueCommand takes a command off the MQTT client's goroutine; HQ sends a
// few at a time, and one that finds the queue full is refused and reported.
func (s *services) queueCommand(topic string, payload []byte) {
	select {
	case s.cmdQueue <- incoming{topic, payload}:
	default:
		s.log.Error("command queue full: command dropped", "topic", topic)
		s.event("command", map[string]any{"ok": false, "reason": "busy", "error": "command queue full"})
	}
}

// flush waits, at most d and while the broker is connected, for the sender
// to publish what the spool holds, so that a clean stop leaves little for
// the next start (what is left goes then).
func (s *services) flush(d time.Duration) {
	deadline := time.Now().Add(d)
	for s.up.Connected() && !s.send.caughtUp() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s.stopSend()
}

// close flushes and closes what is open.
func (s *services) close() {
	if s.stopSend != nil {
		s.stopSend()
	}
	s.beeps.Wait()
	if s.up != nil {
		s.up.Close()
	}
	if s.sp != nil {
		if err := s.sp.Close(); err != nil {
			s.log.Error("spool close", "err", err)
		}
	}
}

// Remember implements recorder: reads are kept (without their crop) for
// the retro-check of new entries.
func (s *services) Remember(r record.Read) {
	s.reads.Add(1)
	r.Crop = nil
	s.recent.Add(hotlist.Seen[record.Read]{ID: r.ID, Time: time.Time(r.Time), Candidates: candidates(r), Payload: r})
}

// audit sends an access record to HQ (and the log).
func (s *services) audit(a record.Audit) {
	s.log.Info("audit", "user", a.User, "action", a.Action, "object", a.Object, "purpose", a.Purpose, "case", a.Case, "result", a.Result)
	b, _ := json.Marshal(a)
	if err := s.out.Send(context.Background(), uplink.Audit, b); err != nil {
		s.log.Error("audit record not stored", "err", err)
	}
}

// event sends an operational event to HQ.
func (s *services) event(typ string, fields map[string]any) {
	fields["v"] = 1
	fields["type"] = typ
	fields["device"] = s.cfg.Device
	fields["time"] = record.Millis(time.Now().UTC())
	b, _ := json.Marshal(fields)
	if err := s.out.Send(context.Background(), uplink.Events, b); err != nil {
		s.log.Error("event not stored", "type", typ, "err", err)
	}
}

// applyHotlist applies a hot list file pushed by HQ's hotlist command: the
// file carries HQ's signature and its version too, so an unsigned, altered or
// older file is refused whole, and the list in force stays.
func (s *services) applyHotlist(file []byte) error {
	rep, err := s.hot.Apply(file)
	if err != nil {
		s.log.Error("hot list refused", "err", err)
		s.event("hotlist.refused", map[string]any{"reason": err.Error(), "bytes": len(file)})
		return err
	}
	s.log.Info("hot list applied", "version", rep.Version, "kind", rep.Kind, "added", rep.Added, "removed", rep.Removed, "entries", rep.Entries)
	s.event("hotlist.applied", map[string]any{"version": rep.Version, "kind": rep.Kind, "added": rep.Added, "updated": rep.Updated, "removed": rep.Removed, "expired": rep.Expired, "entries": rep.Entries, "key": rep.KeyID})
	if rep.New != nil {
		s.retro(s.recent.CheckList(rep.New, time.Now()))
	}
	return nil
}

// retro raises alerts for recent reads that a new entry matches.
func (s *services) retro(hits []hotlist.RetroHit[record.Read]) {
	for _, h := range hits {
		m := alert.Match{Entry: h.Hit.Entry, Kind: h.Hit.Kind, Score: h.Hit.Score, Matched: h.Hit.Matched, Retro: true}
		if err := s.disp.raise(context.Background(), h.Seen.Payload, m); err != nil {
			s.log.Error("retro alert not sent", "err", err)
		}
	}
}

// storeMatcher adapts the hot list to the dispatch.
type storeMatcher struct{ s *hotlist.Store }

func (m storeMatcher) Match(cands []ocr.Candidate, state string, now time.Time) []alert.Match {
	hits := m.s.Match(cands, state, now)
	out := make([]alert.Match, len(hits))
	for i, h := range hits {
		out[i] = alert.Match{Entry: h.Entry, Kind: h.Kind, Score: h.Score, Matched: h.Matched}
	}
	return out
}

// health builds the unit's health report.
func (s *services) health() record.Health {
	st := s.hot.Status()
	h := record.Health{
		V: 1, Device: s.cfg.Device, Firmware: Version, Time: record.Millis(time.Now().UTC()),
		UptimeS: time.Since(s.started).Seconds(), Status: "ok",
		Reads: s.reads.Load(), Alerts: s.disp.alerts.Load(), OpenAlerts: len(s.book.OpenAlerts()),
		Hotlist: record.HotlistHealth{Version: st.Version, Entries: st.Entries, Manual: st.Manual},
	}
	if p := s.pl.Load(); p != nil {
		h.Frames, h.Dropped = (*p).counters()
	}
	if !st.Created.IsZero() {
		h.Hotlist.Created = record.Millis(st.Created.UTC())
		h.Hotlist.AgeH = time.Since(st.Created).Hours()
	}
	h.Warnings = s.warnings(st)
	h.Hotlist.Stale = st.Version == 0 || time.Since(st.Created) > s.cfg.Hotlist.MaxAge.Duration
	if len(h.Warnings) > 0 {
		h.Status = "warning"
	}
	return h
}

// warnings are the problems health and the console show.
func (s *services) warnings(st hotlist.Status) []string {
	var w []string
	switch {
	case st.Version == 0:
		w = append(w, "no hot list from HQ loaded")
	case time.Since(st.Created) > s.cfg.Hotlist.MaxAge.Duration:
		w = append(w, fmt.Sprintf("hot list version %d is %.0f h old (limit %.0f h)", st.Version, time.Since(st.Created).Hours(), s.cfg.Hotlist.MaxAge.Hours()))
	}
	if st.Problem != "" {
		w = append(w, "stored hot list refused: "+st.Problem)
	}
	if sp := s.sp.Stats(); sp.Dropped[spool.Read] > 0 {
		w = append(w, fmt.Sprintf("spool full: %d reads dropped", sp.Dropped[spool.Read]))
	}
	return w
}

// healthLoop reports health at start and every health.interval_s.
func (s *services) healthLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Health.Interval.Duration)
	defer t.Stop()
	for {
		h := s.health()
		if h.Status != "ok" {
			s.log.Warn("health", "warnings", h.Warnings)
		}
		b, _ := json.Marshal(h)
		if err := s.out.Send(ctx, uplink.Health, b); err != nil && ctx.Err() == nil {
			s.log.Error("health report not stored", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// command carries out a command from HQ after checking its signature,
// device, sequence and expiry, and reports the outcome on events.
func (s *services) command(topic string, b []byte) {
	cmd, err := s.commands.Verify(topic, b, time.Now())
	if err == nil {
		err = s.do(cmd)
	}
	res := command.NewResult(topic, cmd, err)
	if err != nil {
		s.log.Error("command refused or failed", "topic", topic, "name", res.Name, "seq", res.Seq, "reason", res.Reason, "err", err)
	} else {
		s.log.Info("command carried out", "name", cmd.Name, "seq", cmd.Seq)
	}
	fields := map[string]any{"name": res.Name, "seq": res.Seq, "ok": res.OK}
	if res.Reason != "" {
		fields["reason"] = res.Reason
		fields["error"] = res.Error
	}
	s.event("command", fields)
}

// do carries out an accepted command.
func (s *services) do(cmd command.Command) error {
	switch cmd.Name {
	case command.NameSelftest:
		t := s.tester.Load()
		if t == nil {
			return errors.New("unit: self-test: the unit is still starting")
		}
		t.report("command")
		return nil
	case command.NameHotlist:
		var a command.HotlistArgs
		if err := cmd.DecodeArgs(&a); err != nil {
			return err
		}
		return s.applyHotlist(a.File)
	case command.NameRotateKey:
		var a command.RotateKeyArgs
		if err := cmd.DecodeArgs(&a); err != nil {
			return err
		}
		return s.rotateKey(a.Epoch, []byte(a.PublicKey))
	}
	return fmt.Errorf("unit: unknown command %q", cmd.Name)
}

// rotatedKey is HQ's encryption key sent by a rotate-key command, kept in
// the vault so that it survives restarts.
type rotatedKey struct {
	Epoch     uint32 `json:"epoch"`
	PublicKey string `json:"public_key"`
}

const rotatedKeyFile = "hq-key"

// rotateKey makes HQ's key of a newer epoch the one messages are sealed to.
func (s *services) rotateKey(epoch uint32, pemKey []byte) error {
	cur := s.out.sealer.Load().Epoch()
	if epoch <= cur {
		return fmt.Errorf("unit: rotate-key: epoch %d, the unit already seals to epoch %d", epoch, cur)
	}
	sealer, err := s.newSealer(epoch, pemKey)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(rotatedKey{epoch, string(pemKey)})
	if err := s.vault.WriteFile(rotatedKeyFile, b); err != nil {
		return err
	}
	s.out.sealer.Store(sealer)
	s.log.Info("HQ key rotated", "epoch", epoch)
	return nil
}

func (s *services) newSealer(epoch uint32, pemKey []byte) (*envelope.Sealer, error) {
	pub, err := envelope.ParseHQPublicKey(pemKey)
	if err != nil {
		return nil, fmt.Errorf("unit: HQ key of epoch %d: %w", epoch, err)
	}
	if pub.KEM().ID() != s.keys.suite.KEMID() {
		return nil, fmt.Errorf("unit: HQ key of epoch %d is not of suite %s (keys.suite)", epoch, s.keys.suite)
	}
	return envelope.NewSealer(envelope.SealerConfig{Device: s.cfg.Device, Epoch: epoch, HQKey: pub, Signer: s.keys.device, Now: time.Now})
}

// loadRotatedKey switches to a key HQ rotated to earlier, when it is newer
// than the bundle's.
func (s *services) loadRotatedKey() error {
	b, err := s.vault.ReadFile(rotatedKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var k rotatedKey
	if err := json.Unmarshal(b, &k); err != nil {
		return fmt.Errorf("unit: %s: %w", rotatedKeyFile, err)
	}
	if k.Epoch <= s.keys.epoch {
		return nil
	}
	sealer, err := s.newSealer(k.Epoch, []byte(k.PublicKey))
	if err != nil {
		return err
	}
	s.out.sealer.Store(sealer)
	return nil
}
