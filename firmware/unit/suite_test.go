package unit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"alprd/firmware/envelope"
	"alprd/firmware/mosquittotest"
)

// TestPostQuantumSuite: with keys.suite "mlkem768-p256" the unit seals to
// HQ's newest hybrid (ML-KEM-768 + P-256) key, and HQ opens it with that
// epoch; the P-256 key of epoch 1 beside it is not used.
func TestPostQuantumSuite(t *testing.T) {
	broker := mosquittotest.Start(t).Addr
	frames, _ := synthFrames(t, 2, 7)
	u := testConfig(t, broker, frames)
	pq, err := envelope.GenerateHQKey(envelope.SuiteMLKEM768P256)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := envelope.MarshalHQPublicKey(pq.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(u.kit.Bundle, "hq-epoch-2.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	u.cfg.Keys.Suite = "mlkem768-p256"
	hq := newHQ(t, broker, envelope.NewOpener(envelope.HQKeyMap{2: pq}, envelope.DeviceKeyMap{"test-unit": u.kit.Device}))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := RunWith(ctx, u.cfg, testLogger(t), Options{}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	hq.wait("a read", func() bool { return len(hq.reads()) > 0 })
	for _, m := range hq.all() {
		if m.epoch != 2 {
			t.Errorf("%s sealed to epoch %d, want 2 (the hybrid key)", m.kind, m.epoch)
		}
	}

	// The same bundle with the default suite uses the P-256 key of epoch 1.
	u.cfg.Keys.Suite = "p256"
	k, err := loadKeys(u.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if k.epoch != 1 || k.suite != envelope.SuiteP256 {
		t.Errorf("p256: epoch %d suite %s, want 1 p256", k.epoch, k.suite)
	}
}
