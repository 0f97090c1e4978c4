package command

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"alprd/firmware/hqsign"
)

// Why Verify refuses a command; test with errors.Is. An error that wraps
// none of them (the seq could not be read or recorded) refuses the command
// too.
var (
	ErrMalformed    = errors.New("command: malformed")
	ErrUnsigned     = errors.New("command: unsigned or unknown key") // the unknown key case also wraps hqsign.ErrUnknownKey
	ErrBadSignature = errors.New("command: bad signature")           // also wraps hqsign.ErrBadSignature when the key checked it
	ErrWrongDevice  = errors.New("command: for another unit")
	ErrWrongName    = errors.New("command: name is not the topic's")
	ErrExpired      = errors.New("command: expired")
	ErrNotYetValid  = errors.New("command: issued in the future")
	ErrReplayed     = errors.New("command: replayed or out of order")
)

// Files is where a Verifier records the seq of the last command it accepted:
// the unit's sealed vault (firmware/vault), so that it can be neither read
// nor rolled back unnoticed by someone holding the storage card.
type Files interface {
	// ReadFile returns the content of name; the error wraps fs.ErrNotExist
	// when there is none.
	ReadFile(name string) ([]byte, error)
	// WriteFile replaces name with data atomically and durably: after a
	// power cut the file holds the old or the new data, never a mix.
	WriteFile(name string, data []byte) error
}

// SeqFile is the name, in Files, of the seq of the last accepted command:
// decimal digits and a line feed.
const SeqFile = "command-seq"

// Verifier accepts commands on a unit. Set its fields before the first call
// and do not change or copy it afterwards; its methods are safe for
// concurrent use.
type Verifier struct {
	Keyring *hqsign.Keyring // HQ's signing keys the unit trusts
	Device  string          // this unit's name
	Store   Files           // holds SeqFile

	mu     sync.Mutex // serialises the seq check and its record
	loaded bool       // last holds SeqFile's value, under mu
	last   uint64     // under mu
}

// Verify checks message b, received on topic (the MQTT topic, whose last
// level is the command name; a bare name will do), at time now, and returns
// the command when it is accepted. Checks are made in the order of the
// package documentation, the signature first; the error of a refusal wraps
// the sentinel of the first that failed. When the signature held but the
// command is refused (wrong device or name, expired, not yet valid,
// replayed, or its seq could not be recorded), the authentic refused command
// is returned with the error, for the report; otherwise the Command is zero.
//
// Before returning success Verify records the command's seq in Store, so it
// blocks for one durable write. Of concurrent calls with the same seq, at
// most one succeeds. If the record cannot be read (a tampered vault) or
// written, every command is refused with that error: the unit fails closed
// rather than risk a replay.
func (v *Verifier) Verify(topic string, b []byte, now time.Time) (Command, error) {
	m, err := parseMessage(b)
	if err != nil {
		return Command{}, err
	}
	if err := v.Keyring.Verify(m.key, append([]byte(SignaturePrefix), m.signed...), m.sig); err != nil {
		switch {
		case errors.Is(err, hqsign.ErrUnknownKey):
			return Command{}, fmt.Errorf("%w: %w", ErrUnsigned, err)
		case errors.Is(err, hqsign.ErrBadSignature):
			return Command{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return Command{}, fmt.Errorf("command: verify: %w", err)
	}
	c, err := parsePayload(m.signed)
	if err != nil {
		return Command{}, err
	}
	c.KeyID = m.key
	name := topic[strings.LastIndexByte(topic, '/')+1:]
	switch {
	case c.Device != v.Device:
		return c, fmt.Errorf("%w: %s seq %d is for %q, this is %q", ErrWrongDevice, c.Name, c.Seq, c.Device, v.Device)
	case c.Name != name:
		return c, fmt.Errorf("%w: %s seq %d came on topic %q", ErrWrongName, c.Name, c.Seq, topic)
	case !now.Before(c.Expires):
		return c, fmt.Errorf("%w: %s seq %d expired at %s", ErrExpired, c.Name, c.Seq, c.Expires.Format(time.RFC3339))
	case c.Issued.After(now.Add(MaxSkew)):
		return c, fmt.Errorf("%w: %s seq %d issued at %s, now is %s", ErrNotYetValid, c.Name, c.Seq,
			c.Issued.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if err := v.advance(c); err != nil {
		return c, err
	}
	return c, nil
}

// advance records c.Seq as the last accepted seq if it is greater.
func (v *Verifier) advance(c Command) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	last, err := v.lastLocked()
	if err != nil {
		return err
	}
	if c.Seq <= last {
		return fmt.Errorf("%w: %s seq %d, last accepted %d", ErrReplayed, c.Name, c.Seq, last)
	}
	if err := v.Store.WriteFile(SeqFile, []byte(strconv.FormatUint(c.Seq, 10)+"\n")); err != nil {
		// The file may hold the new seq or the old one: read it again next time.
		v.loaded = false
		return fmt.Errorf("command: record seq %d: %w", c.Seq, err)
	}
	v.last = c.Seq
	return nil
}

// Last returns the seq of the last accepted command, 0 before the first.
func (v *Verifier) Last() (uint64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lastLocked()
}

func (v *Verifier) lastLocked() (uint64, error) {
	if v.loaded {
		return v.last, nil
	}
	if v.Store == nil {
		return 0, errors.New("command: verifier has no store")
	}
	b, err := v.Store.ReadFile(SeqFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.last = 0
	case err != nil:
		return 0, fmt.Errorf("command: read last seq: %w", err)
	default:
		s, ok := strings.CutSuffix(string(b), "\n")
		n, perr := strconv.ParseUint(s, 10, 64)
		if !ok || perr != nil || n == 0 {
			return 0, fmt.Errorf("command: read last seq: %s holds %q, want a decimal seq and a line feed", SeqFile, b)
		}
		v.last = n
	}
	v.loaded = true
	return v.last, nil
}
