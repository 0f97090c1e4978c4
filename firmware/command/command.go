package command

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"alprd/firmware/hqsign"
)

// Version is the format version, the "v" of a message and of its signed part.
const Version = 1

// Limits of a command's validity.
const (
	// MaxLifetime is the longest a command may be valid: expires is at most
	// this long after issued.
	MaxLifetime = 7 * 24 * time.Hour
	// MaxSkew is how far in the unit's future issued may be (the two clocks
	// disagree).
	MaxSkew = 5 * time.Minute
)

// The commands HQ sends today. Other names are well formed too (lower-case
// letters, digits and "-", at most 32); the unit refuses those it does not
// know.
const (
	NameSelftest  = "selftest"   // run the self-test now; no args
	NameHotlist   = "hotlist"    // apply a hot list file; args HotlistArgs
	NameRotateKey = "rotate-key" // add HQ's encryption key of a new epoch; args RotateKeyArgs
)

// SignaturePrefix is prepended to the signed part before signing, so that a
// command signature cannot be taken for a signature of anything else HQ
// signs with the same key.
const SignaturePrefix = "alprd command v1\n"

// Command is one command from HQ.
type Command struct {
	Device  string          // the unit it is for
	Name    string          // what to do; equal to the topic's last level
	Seq     uint64          // at least 1; strictly increasing over every command HQ sends the unit
	Issued  time.Time       // when HQ made it (carried to the second, in UTC)
	Expires time.Time       // refused from then on (carried to the second, in UTC)
	Args    json.RawMessage // a JSON object, or nil for none
	KeyID   string          // the key that signed it: set by Verify and ParseUnverified, ignored by Sign
}

// HotlistArgs are the args of NameHotlist.
type HotlistArgs struct {
	File []byte `json:"file"` // the signed hot list file (docs/hotlist-format.md); base64 in JSON
}

// RotateKeyArgs are the args of NameRotateKey.
type RotateKeyArgs struct {
	PublicKey string `json:"public_key"` // HQ's HPKE public key, PEM (envelope.ParseHQPublicKey)
	Epoch     uint32 `json:"epoch"`      // its epoch, at least 1
}

// DecodeArgs decodes c.Args into v (a pointer), refusing unknown members. No
// args decode as {}.
func (c Command) DecodeArgs(v any) error {
	args := c.Args
	if len(args) == 0 {
		args = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(args))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("command: %s args: %w", c.Name, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("command: %s args: data after the object", c.Name)
	}
	return nil
}

// message is the outer JSON object; payload the signed part.
type message struct {
	V      int    `json:"v"`
	Signed string `json:"signed"`
	Key    string `json:"key"`
	Sig    string `json:"sig"`
}

type payload struct {
	V       int             `json:"v"`
	Device  string          `json:"device"`
	Name    string          `json:"name"`
	Seq     uint64          `json:"seq"`
	Issued  string          `json:"issued"`
	Expires string          `json:"expires"`
	Args    json.RawMessage `json:"args,omitempty"`
}

// Sign returns cmd as a message signed with priv, ending with a line feed.
// cmd.KeyID is ignored; times are truncated to the second. It fails on a
// command Verify would refuse as malformed: a bad device or name, seq 0,
// expires not after issued or more than MaxLifetime after it, or args that
// are not one JSON object.
func Sign(cmd Command, priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("command: sign: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	p := payload{
		V: Version, Device: cmd.Device, Name: cmd.Name, Seq: cmd.Seq,
		Issued:  cmd.Issued.UTC().Format(time.RFC3339),
		Expires: cmd.Expires.UTC().Format(time.RFC3339),
		Args:    cmd.Args,
	}
	if len(p.Args) > 0 {
		// Checked here, as json.Marshal's own message would not say which member.
		if err := checkObject(p.Args, nil); err != nil {
			return nil, fmt.Errorf("%w: args: %w", ErrMalformed, err)
		}
	}
	signed, err := marshal(p)
	if err != nil {
		return nil, fmt.Errorf("command: sign: %w", err)
	}
	if _, err := parsePayload(signed); err != nil {
		return nil, err
	}
	keyID, sig := hqsign.Sign(priv, append([]byte(SignaturePrefix), signed...))
	out, err := marshal(message{V: Version, Signed: string(signed), Key: keyID, Sig: base64.StdEncoding.EncodeToString(sig)})
	if err != nil {
		return nil, fmt.Errorf("command: sign: %w", err)
	}
	return append(out, '\n'), nil
}

// marshal is json.Marshal without HTML escaping and without the newline of
// json.Encoder.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ParseUnverified returns the command in message b without checking its
// signature, validity or seq: for HQ's tools that handle their own messages
// (alprcmd send). The unit uses a Verifier.
func ParseUnverified(b []byte) (Command, error) {
	m, err := parseMessage(b)
	if err != nil {
		return Command{}, err
	}
	c, err := parsePayload(m.signed)
	if err != nil {
		return Command{}, err
	}
	c.KeyID = m.key
	return c, nil
}

// parsed is a message split into what the signature covers and the
// signature.
type parsed struct {
	signed []byte
	key    string
	sig    []byte
}

// parseMessage splits message b. It does not look inside the signed part.
func parseMessage(b []byte) (parsed, error) {
	var m message
	if err := strictUnmarshal(b, &m, "v", "signed", "key", "sig"); err != nil {
		return parsed{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if m.V != Version {
		return parsed{}, fmt.Errorf("%w: v %d, want %d", ErrMalformed, m.V, Version)
	}
	if m.Signed == "" {
		return parsed{}, fmt.Errorf("%w: no signed part", ErrMalformed)
	}
	if m.Key == "" || m.Sig == "" {
		return parsed{}, fmt.Errorf("%w: no key id or signature", ErrUnsigned)
	}
	if !isKeyID(m.Key) {
		// Not echoed: it is not signed and may be anything.
		return parsed{}, fmt.Errorf("%w: key id is not 16 lower-case hex digits", ErrUnsigned)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(m.Sig)
	if err != nil || base64.StdEncoding.EncodeToString(sig) != m.Sig {
		// The second test refuses the line breaks the decoder skips.
		return parsed{}, fmt.Errorf("%w: sig is not canonical base64", ErrBadSignature)
	}
	return parsed{signed: []byte(m.Signed), key: m.Key, sig: sig}, nil
}

func isKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// parsePayload decodes and checks the signed part: everything Verify refuses
// as ErrMalformed.
func parsePayload(b []byte) (Command, error) {
	var p payload
	if err := strictUnmarshal(b, &p, "v", "device", "name", "seq", "issued", "expires", "args"); err != nil {
		return Command{}, fmt.Errorf("%w: signed part: %w", ErrMalformed, err)
	}
	bad := func(format string, a ...any) (Command, error) {
		return Command{}, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
	}
	if p.V != Version {
		return bad("signed part: v %d, want %d", p.V, Version)
	}
	if !validDevice(p.Device) {
		return bad("device %q: want letters, digits, \"-\", \"_\" and \".\", at most 64", p.Device)
	}
	if !validName(p.Name) {
		return bad("name %q: want lower-case letters, digits and \"-\", at most 32", p.Name)
	}
	if p.Seq == 0 {
		return bad("seq 0: want at least 1")
	}
	issued, err := time.Parse(time.RFC3339, p.Issued)
	if err != nil {
		return bad("issued %q: want an RFC 3339 time", p.Issued)
	}
	expires, err := time.Parse(time.RFC3339, p.Expires)
	if err != nil {
		return bad("expires %q: want an RFC 3339 time", p.Expires)
	}
	if life := expires.Sub(issued); life <= 0 || life > MaxLifetime {
		return bad("expires %s: want after issued %s, by at most %s", p.Expires, p.Issued, MaxLifetime)
	}
	if p.Args != nil {
		if err := checkObject(p.Args, nil); err != nil {
			return bad("args: %v", err)
		}
	}
	return Command{Device: p.Device, Name: p.Name, Seq: p.Seq, Issued: issued, Expires: expires, Args: p.Args}, nil
}

// strictUnmarshal decodes b, one JSON object with only the members names
// (each at most once, names compared exactly), into v. encoding/json alone
// would match names case-insensitively and keep the last of repeated ones.
func strictUnmarshal(b []byte, v any, names ...string) error {
	if err := checkObject(b, names); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// checkObject reports whether b is one JSON object, and nothing else but
// white space, whose members are named at most once each and, when names is
// not nil, only from names.
func checkObject(b []byte, names []string) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return err
		}
		k := t.(string) // inside an object, a token before a value is its name
		if names != nil && !contains(names, k) {
			return fmt.Errorf("unknown member %.32q", k) // cut: it may not be signed
		}
		if seen[k] {
			return fmt.Errorf("member %.32q repeated", k)
		}
		seen[k] = true
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}

func contains(names []string, k string) bool {
	for _, n := range names {
		if n == k {
			return true
		}
	}
	return false
}

// validDevice is config's rule for a unit's name.
func validDevice(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) < 0
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}) < 0
}
