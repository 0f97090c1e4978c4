package hq

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"alprd/firmware/envelope"
)

// BenchmarkProcessRead is the receiver's work per read, without MQTT:
// header checks, signature, decryption, JSON, and one durable SQLite
// transaction (WAL, synchronous FULL) in the benchmark's temporary folder.
func BenchmarkProcessRead(b *testing.B) {
	hqKey, err := envelope.GenerateHQKey(envelope.SuiteP256)
	if err != nil {
		b.Fatal(err)
	}
	devKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sealer, err := envelope.NewSealer(envelope.SealerConfig{Device: "unit-a", Epoch: 1, HQKey: hqKey.PublicKey(), Signer: devKey, Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	store, err := OpenStore(b.Context(), filepath.Join(b.TempDir(), "hq.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	r, err := NewReceiver(Config{Broker: "tcp://127.0.0.1:1", ClientID: "bench", HQKeys: envelope.HQKeyMap{1: hqKey},
		Devices: envelope.DeviceKeyMap{"unit-a": &devKey.PublicKey}, Store: store, Log: discard()})
	if err != nil {
		b.Fatal(err)
	}
	payload := mustJSON(b, testRead("unit-a", "r", time.Now()))
	envs := make([][]byte, b.N)
	for i := range envs {
		if envs[i], err = sealer.Seal(envelope.KindRead, uint64(i+1), payload); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(envs[0])))
	b.ResetTimer()
	for i := range b.N {
		if !r.process(b.Context(), DefaultPrefix+"/unit-a/reads", envs[i]) {
			b.Fatal("not processed")
		}
	}
	b.StopTimer()
	if got := r.tracker.contig("unit-a"); got != uint64(b.N) {
		b.Fatalf("contig %d, want %d", got, b.N)
	}
}
