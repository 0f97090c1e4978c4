package command

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"alprd/firmware/hqsign"
)

var now = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// memFiles is Files in memory; err, when set, fails every call. With
// yield, WriteFile lets other goroutines run first, as a real disk write
// would.
type memFiles struct {
	mu     sync.Mutex
	m      map[string][]byte
	writes int
	err    error
	yield  bool
}

func (f *memFiles) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	b, ok := f.m[name]
	if !ok {
		return nil, fmt.Errorf("memfiles: %s: %w", name, fs.ErrNotExist)
	}
	return bytes.Clone(b), nil
}

func (f *memFiles) WriteFile(name string, data []byte) error {
	if f.yield {
		for range 100 {
			runtime.Gosched()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if f.m == nil {
		f.m = map[string][]byte{}
	}
	f.m[name] = bytes.Clone(data)
	f.writes++
	return nil
}

func (f *memFiles) get(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.m[name])
}

func newKey(t *testing.T) (ed25519.PrivateKey, *hqsign.Keyring) {
	t.Helper()
	priv, err := hqsign.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return priv, hqsign.NewKeyring(priv.Public().(ed25519.PublicKey))
}

// cmd returns a hotlist command for unit-0042 with seq, valid for an hour
// from now.
func cmd(seq uint64) Command {
	args, _ := json.Marshal(HotlistArgs{File: []byte("#alprd-hotlist v1\n...")})
	return Command{Device: "unit-0042", Name: NameHotlist, Seq: seq, Issued: now, Expires: now.Add(time.Hour), Args: args}
}

func sign(t *testing.T, c Command, priv ed25519.PrivateKey) []byte {
	t.Helper()
	b, err := Sign(c, priv)
	if err != nil {
		t.Fatalf("sign %+v: %v", c, err)
	}
	return b
}

// signRaw signs payload bytes as they are, bypassing Sign's checks.
func signRaw(priv ed25519.PrivateKey, signed string) []byte {
	id, sig := hqsign.Sign(priv, []byte(SignaturePrefix+signed))
	b, _ := json.Marshal(message{V: 1, Signed: signed, Key: id, Sig: base64.StdEncoding.EncodeToString(sig)})
	return b
}

const topic = "alpr/v1/unit-0042/cmd/hotlist"

func TestRoundTrip(t *testing.T) {
	priv, ring := newKey(t)
	files := &memFiles{}
	v := &Verifier{Keyring: ring, Device: "unit-0042", Store: files}
	want := cmd(17)
	want.Issued = now.Add(123 * time.Millisecond) // carried to the second
	got, err := v.Verify(topic, sign(t, want, priv), now)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got.Device != want.Device || got.Name != want.Name || got.Seq != want.Seq ||
		!got.Issued.Equal(now) || !got.Expires.Equal(want.Expires) || !bytes.Equal(got.Args, want.Args) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if id := hqsign.KeyID(priv.Public().(ed25519.PublicKey)); got.KeyID != id {
		t.Errorf("key id: got %q, want %q", got.KeyID, id)
	}
	var args HotlistArgs
	if err := got.DecodeArgs(&args); err != nil || string(args.File) != "#alprd-hotlist v1\n..." {
		t.Errorf("args: got %q, %v; want the file", args.File, err)
	}
	if s := files.get(SeqFile); s != "17\n" {
		t.Errorf("%s: got %q, want %q", SeqFile, s, "17\n")
	}
	if last, err := v.Last(); last != 17 || err != nil {
		t.Errorf("last: got %d, %v; want 17", last, err)
	}
}

func TestRefused(t *testing.T) {
	priv, ring := newKey(t)
	other, _ := newKey(t)
	good := sign(t, cmd(10), priv)
	for _, tc := range []struct {
		name      string
		msg       []byte
		topic     string
		now       time.Time
		want      error
		authentic bool // Verify returns the command with the error
	}{
		{"not json", []byte("hello"), topic, now, ErrMalformed, false},
		{"empty", nil, topic, now, ErrMalformed, false},
		{"array", []byte("[1]"), topic, now, ErrMalformed, false},
		{"trailing data", append(bytes.Clone(good), "{}"...), topic, now, ErrMalformed, false},
		{"unknown member", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":1,"x":2,`), 1), topic, now, ErrMalformed, false},
		{"repeated member", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":1,"v":1,`), 1), topic, now, ErrMalformed, false},
		{"member case", bytes.Replace(good, []byte(`"key":`), []byte(`"Key":`), 1), topic, now, ErrMalformed, false},
		{"version 2", bytes.Replace(good, []byte(`{"v":1,`), []byte(`{"v":2,`), 1), topic, now, ErrMalformed, false},
		{"no signature", unsign(t, good, "key", "sig"), topic, now, ErrUnsigned, false},
		{"no sig", unsign(t, good, "sig"), topic, now, ErrUnsigned, false},
		{"unknown key", sign(t, cmd(10), other), topic, now, hqsign.ErrUnknownKey, false},
		{"unknown key is unsigned", sign(t, cmd(10), other), topic, now, ErrUnsigned, false},
		{"bad key id", bytes.Replace(good, []byte(`"key":"`), []byte(`"key":"x`), 1), topic, now, ErrUnsigned, false},
		{"bad signature", swapSig(t, good, sign(t, cmd(11), priv)), topic, now, ErrBadSignature, false},
		{"bad signature wraps hqsign", swapSig(t, good, sign(t, cmd(11), priv)), topic, now, hqsign.ErrBadSignature, false},
		{"other device", sign(t, with(cmd(10), func(c *Command) { c.Device = "unit-0043" }), priv), topic, now, ErrWrongDevice, true},
		{"name not the topic's", good, "alpr/v1/unit-0042/cmd/selftest", now, ErrWrongName, true},
		{"empty topic", good, "", now, ErrWrongName, true},
		{"expired", good, topic, now.Add(time.Hour), ErrExpired, true},
		{"long expired", good, topic, now.Add(30 * 24 * time.Hour), ErrExpired, true},
		{"issued in the future", good, topic, now.Add(-MaxSkew - time.Second), ErrNotYetValid, true},
		{"signed seq 0", signRaw(priv, `{"v":1,"device":"unit-0042","name":"hotlist","seq":0,"issued":"2026-11-27T08:00:00Z","expires":"2026-11-27T09:00:00Z"}`), topic, now, ErrMalformed, false},
		{"signed v 2", signRaw(priv, `{"v":2,"device":"unit-0042","name":"hotlist","seq":1,"issued":"2026-11-27T08:00:00Z","expires":"2026-11-27T09:00:00Z"}`), topic, now, ErrMalformed, false},
		{"signed lifetime over 7 days", signRaw(priv, `{"v":1,"device":"unit-0042","name":"hotlist","seq":1,"issued":"2026-11-27T08:00:00Z","expires":"2026-12-04T08:00:01Z"}`), topic, now, ErrMalformed, false},
		{"signed expires before issued", signRaw(priv, `{"v":1,"device":"unit-0042","name":"hotlist","seq":1,"issued":"2026-11-27T08:00:00Z","expires":"2026-11-27T07:00:00Z"}`), topic, now, ErrMalformed, false},
		{"signed args not an object", signRaw(priv, `{"v":1,"device":"unit-0042","name":"hotlist","seq":1,"issued":"2026-11-27T08:00:00Z","expires":"2026-11-27T09:00:00Z","args":"x"}`), topic, now, ErrMalformed, false},
		{"signed args null", signRaw(priv, `{"v":1,"device":"unit-0042","name":"hotlist","seq":1,"issued":"2026-11-27T08:00:00Z","expires":"2026-11-27T09:00:00Z","args":null}`), topic, now, ErrMalformed, false},
		{"signed unknown member", signRaw(priv, `{"v":1,"device":"unit-0042","name":"hotlist","seq":1,"issued":"2026-11-27T08:00:00Z","expires":"2026-11-27T09:00:00Z","retain":true}`), topic, now, ErrMalformed, false},
		{"signed repeated device", signRaw(priv, `{"v":1,"device":"unit-0043","device":"unit-0042","name":"hotlist","seq":1,"issued":"2026-11-27T08:00:00Z","expires":"2026-11-27T09:00:00Z"}`), topic, now, ErrMalformed, false},
		{"signed bad time", signRaw(priv, `{"v":1,"device":"unit-0042","name":"hotlist","seq":1,"issued":"27/11/2026","expires":"2026-11-27T09:00:00Z"}`), topic, now, ErrMalformed, false},
		{"replayed", good, topic, now, ErrReplayed, true},
		{"lower seq", sign(t, cmd(9), priv), topic, now, ErrReplayed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := &memFiles{m: map[string][]byte{}}
			if tc.name == "replayed" || tc.name == "lower seq" {
				files.m[SeqFile] = []byte("10\n")
			}
			before := maps.Clone(files.m)
			v := &Verifier{Keyring: ring, Device: "unit-0042", Store: files}
			got, err := v.Verify(tc.topic, tc.msg, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "command: ") {
				t.Errorf("error %q: want the package prefix", err)
			}
			if authentic := got.Seq != 0; authentic != tc.authentic {
				t.Errorf("returned %+v: got authentic %v, want %v", got, authentic, tc.authentic)
			}
			if files.writes != 0 || !maps.EqualFunc(files.m, before, bytes.Equal) {
				t.Errorf("store written: got %q, want %q", files.m, before)
			}
		})
	}
}

func with(c Command, f func(*Command)) Command {
	f(&c)
	return c
}

// unsign removes members of message b.
func unsign(t *testing.T, b []byte, members ...string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range members {
		delete(m, k)
	}
	out, _ := json.Marshal(m)
	return out
}

// swapSig returns a with the signature of b.
func swapSig(t *testing.T, a, b []byte) []byte {
	t.Helper()
	var ma, mb message
	if err := json.Unmarshal(a, &ma); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		t.Fatal(err)
	}
	ma.Sig = mb.Sig
	out, _ := json.Marshal(ma)
	return out
}

func TestAccepted(t *testing.T) {
	priv, ring := newKey(t)
	for _, tc := range []struct {
		name string
		c    Command
		now  time.Time
	}{
		{"issued within the skew", cmd(1), now.Add(-MaxSkew)},
		{"a second before expiry", cmd(1), now.Add(time.Hour - time.Second)},
		{"lifetime of 7 days", with(cmd(1), func(c *Command) { c.Expires = now.Add(MaxLifetime) }), now.Add(MaxLifetime - time.Second)},
		{"no args", with(cmd(1), func(c *Command) { c.Name, c.Args = NameSelftest, nil }), now},
		{"max seq", cmd(^uint64(0)), now},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verifier{Keyring: ring, Device: "unit-0042", Store: &memFiles{}}
			got, err := v.Verify("alpr/v1/unit-0042/cmd/"+tc.c.Name, sign(t, tc.c, priv), tc.now)
			if err != nil || got.Seq != tc.c.Seq {
				t.Errorf("got %+v, %v; want seq %d accepted", got, err, tc.c.Seq)
			}
		})
	}
}

// TestFlippedByte flips each bit pattern of each byte of a signed message:
// no variant may be accepted.
func TestFlippedByte(t *testing.T) {
	priv, ring := newKey(t)
	c := cmd(5)
	c.Args = json.RawMessage(`{"public_key":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n","epoch":2}`)
	c.Name = NameRotateKey
	good := sign(t, c, priv)
	verify := func(b []byte) error {
		v := &Verifier{Keyring: ring, Device: "unit-0042", Store: &memFiles{}}
		_, err := v.Verify("alpr/v1/unit-0042/cmd/rotate-key", b, now)
		return err
	}
	if err := verify(good); err != nil {
		t.Fatalf("unmodified: %v", err)
	}
	for i := range good {
		for _, mask := range []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80} {
			b := bytes.Clone(good)
			b[i] ^= mask
			if err := verify(b); err == nil {
				t.Errorf("byte %d (%q) ^ %#x: got accepted, want refused", i, good[i], mask)
			}
		}
	}
}

func TestSeqPersisted(t *testing.T) {
	priv, ring := newKey(t)
	files := &memFiles{}
	v1 := &Verifier{Keyring: ring, Device: "unit-0042", Store: files}
	if _, err := v1.Verify(topic, sign(t, cmd(5), priv), now); err != nil {
		t.Fatal(err)
	}
	// A restart: a new Verifier over the same files.
	v2 := &Verifier{Keyring: ring, Device: "unit-0042", Store: files}
	if last, err := v2.Last(); last != 5 || err != nil {
		t.Errorf("last: got %d, %v; want 5", last, err)
	}
	for _, tc := range []struct {
		seq  uint64
		want error
	}{
		{5, ErrReplayed},
		{4, ErrReplayed},
		{6, nil},
		{6, ErrReplayed},
		{100, nil},
		{7, ErrReplayed},
	} {
		if _, err := v2.Verify(topic, sign(t, cmd(tc.seq), priv), now); !errors.Is(err, tc.want) {
			t.Errorf("seq %d: got %v, want %v", tc.seq, err, tc.want)
		}
	}
	if s := files.get(SeqFile); s != "100\n" {
		t.Errorf("%s: got %q, want %q", SeqFile, s, "100\n")
	}
}

func TestStoreFailure(t *testing.T) {
	priv, ring := newKey(t)
	broken := errors.New("disk on fire")
	files := &memFiles{err: broken}
	v := &Verifier{Keyring: ring, Device: "unit-0042", Store: files}
	msg := sign(t, cmd(3), priv)
	if _, err := v.Verify(topic, msg, now); !errors.Is(err, broken) || Reason(err) != "failed" {
		t.Errorf("read fails: got %v (reason %q), want %v, reason failed", err, Reason(err), broken)
	}
	// Readable but not writable: the seq is not taken.
	files.mu.Lock()
	files.err = nil
	files.mu.Unlock()
	if _, err := v.Last(); err != nil {
		t.Fatal(err)
	}
	files.mu.Lock()
	files.err = broken
	files.mu.Unlock()
	if _, err := v.Verify(topic, msg, now); !errors.Is(err, broken) {
		t.Errorf("write fails: got %v, want %v", err, broken)
	}
	files.mu.Lock()
	files.err = nil
	files.mu.Unlock()
	if _, err := v.Verify(topic, msg, now); err != nil {
		t.Errorf("after repair: got %v, want accepted", err)
	}
	// A damaged record refuses everything rather than restart at 0.
	files.m[SeqFile] = []byte("banana\n")
	v = &Verifier{Keyring: ring, Device: "unit-0042", Store: files}
	if _, err := v.Verify(topic, sign(t, cmd(4), priv), now); err == nil || Reason(err) != "failed" {
		t.Errorf("damaged record: got %v, want refused, reason failed", err)
	}
	v = &Verifier{Keyring: ring, Device: "unit-0042"}
	if _, err := v.Verify(topic, sign(t, cmd(4), priv), now); err == nil {
		t.Errorf("no store: got accepted, want refused")
	}
}

// TestConcurrent verifies the same command from 8 goroutines: exactly one
// call accepts it.
func TestConcurrent(t *testing.T) {
	priv, ring := newKey(t)
	v := &Verifier{Keyring: ring, Device: "unit-0042", Store: &memFiles{yield: true}}
	for seq := uint64(1); seq <= 20; seq++ {
		msg := sign(t, cmd(seq), priv)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { _, errs[i] = v.Verify(topic, msg, now) })
		}
		wg.Wait()
		accepted := 0
		for _, err := range errs {
			switch {
			case err == nil:
				accepted++
			case !errors.Is(err, ErrReplayed):
				t.Errorf("seq %d: got %v, want nil or %v", seq, err, ErrReplayed)
			}
		}
		if accepted != 1 {
			t.Errorf("seq %d: accepted %d times, want 1", seq, accepted)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	priv, _ := newKey(t)
	for _, tc := range []struct {
		name string
		c    Command
	}{
		{"seq 0", cmd(0)},
		{"no device", with(cmd(1), func(c *Command) { c.Device = "" })},
		{"device with slash", with(cmd(1), func(c *Command) { c.Device = "unit/0042" })},
		{"device with plus", with(cmd(1), func(c *Command) { c.Device = "+" })},
		{"upper-case name", with(cmd(1), func(c *Command) { c.Name = "Hotlist" })},
		{"no name", with(cmd(1), func(c *Command) { c.Name = "" })},
		{"no times", with(cmd(1), func(c *Command) { c.Issued, c.Expires = time.Time{}, time.Time{} })},
		{"lifetime over 7 days", with(cmd(1), func(c *Command) { c.Expires = now.Add(MaxLifetime + time.Second) })},
		{"args not an object", with(cmd(1), func(c *Command) { c.Args = json.RawMessage(`[1]`) })},
		{"args not json", with(cmd(1), func(c *Command) { c.Args = json.RawMessage(`{`) })},
		{"args repeated member", with(cmd(1), func(c *Command) { c.Args = json.RawMessage(`{"a":1,"a":2}`) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := Sign(tc.c, priv); !errors.Is(err, ErrMalformed) {
				t.Errorf("got %q, %v; want %v", b, err, ErrMalformed)
			}
		})
	}
	if _, err := Sign(cmd(1), priv[:10]); err == nil {
		t.Errorf("short key: got no error")
	}
}

func TestDecodeArgs(t *testing.T) {
	var r RotateKeyArgs
	c := Command{Name: NameRotateKey, Args: json.RawMessage(`{"public_key":"PEM","epoch":3}`)}
	if err := c.DecodeArgs(&r); err != nil || r != (RotateKeyArgs{PublicKey: "PEM", Epoch: 3}) {
		t.Errorf("got %+v, %v; want PEM, 3", r, err)
	}
	c.Args = json.RawMessage(`{"public_key":"PEM","epoch":3,"extra":1}`)
	if err := c.DecodeArgs(&r); err == nil {
		t.Errorf("unknown member: got no error")
	}
	var h HotlistArgs
	if err := (Command{}).DecodeArgs(&h); err != nil || h.File != nil {
		t.Errorf("no args: got %+v, %v; want zero", h, err)
	}
}

func TestParseUnverified(t *testing.T) {
	priv, _ := newKey(t)
	b := sign(t, cmd(8), priv)
	c, err := ParseUnverified(b)
	if err != nil || c.Device != "unit-0042" || c.Name != NameHotlist || c.Seq != 8 {
		t.Errorf("got %+v, %v; want unit-0042 hotlist 8", c, err)
	}
	if _, err := ParseUnverified(b[:len(b)/2]); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated: got %v, want %v", err, ErrMalformed)
	}
}

func TestResult(t *testing.T) {
	priv, ring := newKey(t)
	v := &Verifier{Keyring: ring, Device: "unit-0042", Store: &memFiles{}}
	msg := sign(t, cmd(2), priv)
	c, err := v.Verify(topic, msg, now)
	ok := NewResult(topic, c, err)
	c, err = v.Verify(topic, msg, now)
	replayed := NewResult(topic, c, err)
	c, err = v.Verify(topic, []byte("junk"), now)
	junk := NewResult(topic, c, err)
	c, err = v.Verify("alpr/v1/unit-0042/cmd/+#x", []byte("junk"), now)
	badTopic := NewResult("alpr/v1/unit-0042/cmd/+#x", c, err)
	for _, tc := range []struct {
		got  Result
		want string
	}{
		{ok, `{"type":"command","name":"hotlist","seq":2,"ok":true}`},
		{replayed, `{"type":"command","name":"hotlist","seq":2,"ok":false,"reason":"replayed","error":"command: replayed or out of order: hotlist seq 2, last accepted 2"}`},
		{junk, `{"type":"command","name":"hotlist","seq":0,"ok":false,"reason":"malformed","error":"command: malformed: not a JSON object"}`},
		{badTopic, `{"type":"command","name":"","seq":0,"ok":false,"reason":"malformed","error":"command: malformed: not a JSON object"}`},
	} {
		b, err := json.Marshal(tc.got)
		if err != nil || string(b) != tc.want {
			t.Errorf("got %s, %v; want %s", b, err, tc.want)
		}
	}
}

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("x: %w", ErrMalformed), "malformed"},
		{ErrUnsigned, "unsigned"},
		{ErrBadSignature, "bad-signature"},
		{ErrWrongDevice, "wrong-device"},
		{ErrWrongName, "wrong-name"},
		{ErrExpired, "expired"},
		{ErrNotYetValid, "not-yet-valid"},
		{ErrReplayed, "replayed"},
		{errors.New("hotlist: version 3 is not newer"), "failed"},
	} {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v): got %q, want %q", tc.err, got, tc.want)
		}
	}
}
