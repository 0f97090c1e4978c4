package command

import (
	"errors"
	"strings"
)

// Result is what the unit publishes on its events topic after each command,
// accepted or refused:
//
//	{"type":"command","name":"hotlist","seq":17,"ok":true}
//	{"type":"command","name":"hotlist","seq":0,"ok":false,"reason":"bad-signature","error":"command: bad signature: hqsign: bad signature (key 3f2a9c0d1b7e6a55)"}
type Result struct {
	Type   string `json:"type"`             // always "command"
	Name   string `json:"name"`             // the command's name, or the topic's when it was not authentic ("" if not a name)
	Seq    uint64 `json:"seq"`              // the command's seq; 0 when it was not authentic
	OK     bool   `json:"ok"`               // accepted and carried out
	Reason string `json:"reason,omitempty"` // Reason(err) when not ok
	Error  string `json:"error,omitempty"`  // the error's text when not ok
}

// NewResult reports the command received on topic: cmd and err as Verify
// returned them, or err as the unit's handler returned it after Verify
// accepted cmd. Only authentic values are reported: cmd is zero unless its
// signature held.
func NewResult(topic string, cmd Command, err error) Result {
	r := Result{Type: "command", Name: cmd.Name, Seq: cmd.Seq, OK: err == nil}
	if r.Name == "" {
		if n := topic[strings.LastIndexByte(topic, '/')+1:]; validName(n) {
			r.Name = n
		}
	}
	if err != nil {
		r.Reason = Reason(err)
		r.Error = err.Error()
	}
	return r
}

// Reason returns a short fixed word for why err refused a command, for
// Result.Reason and counters: "malformed", "unsigned", "bad-signature",
// "wrong-device", "wrong-name", "expired", "not-yet-valid", "replayed";
// "failed" for any other error (the seq could not be recorded, or the
// command was accepted but carrying it out failed); "" for nil.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range []struct {
		err  error
		word string
	}{
		{ErrMalformed, "malformed"},
		{ErrUnsigned, "unsigned"},
		{ErrBadSignature, "bad-signature"},
		{ErrWrongDevice, "wrong-device"},
		{ErrWrongName, "wrong-name"},
		{ErrExpired, "expired"},
		{ErrNotYetValid, "not-yet-valid"},
		{ErrReplayed, "replayed"},
	} {
		if errors.Is(err, r.err) {
			return r.word
		}
	}
	return "failed"
}
