package hotlist_test

import (
	"crypto/ed25519"
	"fmt"
	"io/fs"
	"time"

	"alprd/firmware/hotlist"
	"alprd/firmware/hqsign"
	"alprd/ocr"
)

// memFiles keeps files in memory (the unit uses firmware/vault).
type memFiles map[string][]byte

func (m memFiles) ReadFile(name string) ([]byte, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

func (m memFiles) WriteFile(name string, data []byte) error {
	m[name] = append([]byte(nil), data...)
	return nil
}

func Example() {
	// At HQ: sign a snapshot.
	priv, _ := hqsign.GenerateKey()
	body := []byte("op,plate,state,type,priority,reason,case,agency,entered_by,entered,expires\n" +
		"add,7ABC123,CA,SV,,stolen vehicle,SVS-2026-001,CA0190000,doj-import,2026-11-20T00:00:00Z,\n")
	file, err := hotlist.Sign(hotlist.Header{Kind: hotlist.KindSnapshot, Version: 42,
		Created: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}, body, priv)
	if err != nil {
		panic(err)
	}

	// On the unit: a store trusting HQ's key, over the unit's vault.
	keys := hqsign.NewKeyring(priv.Public().(ed25519.PublicKey))
	store, err := hotlist.Open(memFiles{}, keys, nil)
	if err != nil {
		panic(err)
	}
	rep, err := store.Apply(file)
	if err != nil {
		panic(err) // refused: the list in force stays
	}
	fmt.Println("version", rep.Version, "entries", rep.Entries)

	// A read whose best candidate took the B for an 8.
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	read := []ocr.Candidate{{Text: "7A8C123", Confidence: 88}, {Text: "7ABC123", Confidence: 80}}
	for _, h := range store.Match(read, "CA", now) {
		fmt.Printf("%s %s (%s) %s %.2f\n", h.Entry.Plate, h.Entry.Type, h.Entry.Reason, h.Kind, h.Score)
	}
	// Output:
	// version 42 entries 1
	// 7ABC123 SV (stolen vehicle) exact 0.80
}
