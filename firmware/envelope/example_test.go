// The v1.0.0 Go Cryptographic Module refuses HPKE's AES-GCM under
// GODEBUG=fips140=only, and an example cannot skip itself: leave it out of
// that build (GOFIPS140=v1.0.0 sets the fips140v1.0 tag).

//go:build !fips140v1.0

package envelope_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"time"

	"alprd/firmware/envelope"
)

func Example() {
	// Provisioning: HQ's key of epoch 1; the device's key (in the field, the
	// key of its TLS client certificate, read with ParseDeviceKey).
	hqKey, err := envelope.GenerateHQKey(envelope.DefaultSuite)
	if err != nil {
		panic(err)
	}
	pubPEM, _ := envelope.MarshalHQPublicKey(hqKey.PublicKey())
	devKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	// The unit.
	hqPub, err := envelope.ParseHQPublicKey(pubPEM)
	if err != nil {
		panic(err)
	}
	sealer, err := envelope.NewSealer(envelope.SealerConfig{
		Device: "unit-0001", Epoch: 1, HQKey: hqPub, Signer: devKey, Now: time.Now,
	})
	if err != nil {
		panic(err)
	}
	msg, err := sealer.Seal(envelope.KindRead, 42, []byte(`{"v":1,"plate":"7ABC123"}`))
	if err != nil {
		panic(err)
	}

	// HQ.
	opener := envelope.NewOpener(
		envelope.HQKeyMap{1: hqKey},
		envelope.DeviceKeyMap{"unit-0001": &devKey.PublicKey},
	)
	h, payload, err := opener.Open(msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Device, h.Kind, h.Seq, h.Suite, string(payload))
	fmt.Println("overhead:", len(msg)-len(payload), "bytes")
	// Output:
	// unit-0001 read 42 p256 {"v":1,"plate":"7ABC123"}
	// overhead: 184 bytes
}
