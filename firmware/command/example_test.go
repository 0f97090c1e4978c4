package command_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"alprd/firmware/command"
	"alprd/firmware/hqsign"
)

// files is a command.Files in memory; the unit passes its vault.
type files map[string][]byte

func (f files) ReadFile(name string) ([]byte, error) {
	b, ok := f[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return b, nil
}

func (f files) WriteFile(name string, data []byte) error {
	f[name] = bytes.Clone(data)
	return nil
}

func Example() {
	// At HQ: sign a self-test command for unit-0042.
	priv, _ := hqsign.GenerateKey()
	issued := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	msg, err := command.Sign(command.Command{
		Device: "unit-0042", Name: command.NameSelftest, Seq: 1,
		Issued: issued, Expires: issued.Add(time.Hour),
	}, priv)
	if err != nil {
		fmt.Println(err)
		return
	}

	// On the unit: verify what arrived on alpr/v1/unit-0042/cmd/selftest,
	// then report on events.
	v := &command.Verifier{
		Keyring: hqsign.NewKeyring(priv.Public().(ed25519.PublicKey)),
		Device:  "unit-0042",
		Store:   files{},
	}
	topic := "alpr/v1/unit-0042/cmd/selftest"
	for range 2 {
		cmd, err := v.Verify(topic, msg, issued.Add(time.Minute))
		report, _ := json.Marshal(command.NewResult(topic, cmd, err))
		fmt.Println(string(report), errors.Is(err, command.ErrReplayed))
	}
	// Output:
	// {"type":"command","name":"selftest","seq":1,"ok":true} false
	// {"type":"command","name":"selftest","seq":1,"ok":false,"reason":"replayed","error":"command: replayed or out of order: selftest seq 1, last accepted 1"} true
}
