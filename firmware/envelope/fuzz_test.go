package envelope

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/hpke"
	"errors"
	"fmt"
	"testing"
	"time"
)

// FuzzOpen feeds Open and ParseHeader any bytes. They never panic; every
// refusal wraps exactly one reason; ParseHeader refuses only what Open
// refuses as ErrFormat; and nothing opens but the envelopes sealed here.
func FuzzOpen(f *testing.F) {
	dev1, dev2 := testDeviceKey(f, 1), testDeviceKey(f, 2)
	hq := HQKeyMap{}
	for i, s := range Suites() {
		hq[uint32(epoch+i)] = testHQKey(f, s, 1)
	}
	op := NewOpener(hq, DeviceKeyMap{"unit-0001": &dev1.PublicKey, "unit-0002": &dev2.PublicKey})
	sealed := map[string]bool{}

	for i, s := range Suites() {
		// Signed junk: works whatever the FIPS mode.
		f.Add(fakeEnvelope(f, s, "unit-0001", dev1, uint32(epoch+i), 1))
		if _, _, err := hpke.NewSender(hq[uint32(epoch+i)].PublicKey(), kdf, aead, nil); err != nil {
			f.Logf("no sealed seeds of suite %s: %v", s, err)
			continue
		}
		for j, dev := range []string{"unit-0001", "unit-0002"} {
			sl, err := NewSealer(SealerConfig{Device: dev, Epoch: uint32(epoch + i), HQKey: hq[uint32(epoch+i)].PublicKey(),
				Signer: []*ecdsa.PrivateKey{dev1, dev2}[j], Now: nowFunc(j)})
			if err != nil {
				f.Fatal(err)
			}
			for k, p := range [][]byte{nil, []byte(`{"v":1,"plate":"7ABC123"}`), bytes.Repeat([]byte{0}, 300)} {
				b, err := sl.Seal(Kind(1+k+j), uint64(k), p)
				if err != nil {
					f.Fatal(err)
				}
				sealed[message(sl.cfg.Device, uint32(epoch+i), Kind(1+k+j), uint64(k), p)] = true
				f.Add(b)
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte{Version})
	f.Add([]byte(`{"v":1}`))

	f.Fuzz(func(t *testing.T, b []byte) {
		ph, perr := ParseHeader(b)
		h, payload, err := op.Open(b)
		if err == nil {
			if !sealed[message(h.Device, h.Epoch, h.Kind, h.Seq, payload)] {
				t.Fatalf("opened a message nobody sealed: %+v %q", h, payload)
			}
			if perr != nil || ph != h {
				t.Fatalf("opened, but ParseHeader gives %+v, %v; Open %+v", ph, perr, h)
			}
			if payload == nil && len(b) > Overhead(h.Suite, h.Device, !h.Created.IsZero()) {
				t.Fatalf("opened %d bytes to a nil payload", len(b))
			}
			return
		}
		if n := reasonsOf(err); n != 1 {
			t.Fatalf("%v wraps %d reasons, want 1", err, n)
		}
		if perr != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("ParseHeader refused (%v) but Open said %v", perr, err)
		}
		if perr == nil && errors.Is(err, ErrFormat) {
			t.Fatalf("ParseHeader accepted %+v but Open said %v", ph, err)
		}
	})
}

// nowFunc returns nil for j == 0 (no creation time) and a fixed clock
// otherwise.
func nowFunc(j int) func() time.Time {
	if j == 0 {
		return nil
	}
	return func() time.Time { return testTime }
}

// message identifies a sealed message by its content.
func message(device string, epoch uint32, kind Kind, seq uint64, payload []byte) string {
	return fmt.Sprintf("%s/%d/%s/%d/%x", device, epoch, kind, seq, payload)
}
