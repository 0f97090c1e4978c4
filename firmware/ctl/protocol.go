package ctl

import (
	"context"
	"encoding/json"
	"errors"

	"alprd/firmware/record"
)

// Operations: the op of a Request, and the Action of its audit record.
const (
	OpLogin        = "login"
	OpLogout       = "logout"
	OpStatus       = "status"
	OpHotlistAdd   = "hotlist.add"
	OpHotlistRm    = "hotlist.remove"
	OpHotlistList  = "hotlist.list"
	OpAlertList    = "alert.list"
	OpAlertDispose = "alert.dispose"
	OpWatch        = "watch"
	OpUnwatch      = "unwatch"
)

// ActionWatchEnd is the audit action written when a watch stream ends: its
// Object says how many reads and alerts it delivered and how many reads it
// dropped.
const ActionWatchEnd = "watch.end"

// ActionInvalid is the audit action of a line that is not a request.
const ActionInvalid = "invalid"

// Roles of the users file.
const (
	RoleOfficer    = "officer"    // reads, alerts, dispositions, manual hot list entries
	RoleTechnician = "technician" // status only
	RoleSupervisor = "supervisor" // officer rights, and lists the whole hot list
)

// Roles lists the valid roles.
var Roles = []string{RoleOfficer, RoleTechnician, RoleSupervisor}

// Event kinds.
const (
	KindRead        = "read"
	KindAlert       = "alert"
	KindDisposition = "disposition"
	KindDropped     = "dropped" // made by the server (or client) when a slow watcher lost reads
)

// Session is a logged-in user of one connection: who and why. The Handler
// gets it with every change so that it can record who made it.
type Session struct {
	User    string `json:"user"`
	Role    string `json:"role"`
	Purpose string `json:"purpose"`
	Case    string `json:"case,omitempty"`
}

// Event is one item of a watch stream.
type Event struct {
	Kind        string              `json:"kind"` // KindRead, KindAlert, KindDisposition or KindDropped
	Read        *record.Read        `json:"read,omitempty"`
	Alert       *record.Alert       `json:"alert,omitempty"`
	Disposition *record.Disposition `json:"disposition,omitempty"`
	// CropPath is the plate crop of the read or alert as a file on the unit,
	// for consoles that show it; empty when the unit kept none.
	CropPath string `json:"crop_path,omitempty"`
	// Dropped, for KindDropped: reads this watcher lost, since the previous
	// KindDropped event, because it did not keep up. Alerts and
	// dispositions are never dropped.
	Dropped int `json:"dropped,omitempty"`
}

// Status is the unit's state as the console header and technicians see it.
// It holds no plate data.
type Status struct {
	Device   string            `json:"device"`
	Firmware string            `json:"firmware"`
	Time     record.Millis     `json:"time"`               // the unit's clock
	Started  record.Millis     `json:"started,omitzero"`   // when the daemon started
	HotList  HotListStatus     `json:"hotlist"`            // the loaded hot list
	Counters map[string]uint64 `json:"counters,omitempty"` // e.g. "frames", "reads", "alerts", "frames_dropped"
	Warnings []string          `json:"warnings,omitempty"` // problems the unit knows of, worded for a person
}

// HotListStatus describes the loaded hot list.
type HotListStatus struct {
	Version string        `json:"version"`
	Issued  record.Millis `json:"issued,omitzero"` // when HQ issued it: the list's age counts from here
	Loaded  record.Millis `json:"loaded,omitzero"` // when the unit loaded it
	Entries int           `json:"entries"`         // all entries, HQ and manual
	Manual  int           `json:"manual"`          // entries made on the unit
}

// Handler is what the daemon gives the server: the hot list store, the
// alerts and the unit's state. The server checks roles and validates
// requests before it calls a method; the Handler still validates what it
// stores. Methods are called from many connections at once. An error is
// shown to the user as it is (it should say what was wrong, not leak data).
type Handler interface {
	// AddEntry adds a manual hot list entry. The server has set
	// e.Source = record.SourceManual, e.EnteredBy and e.Entered, normalised
	// e.Plate, e.State and e.Type, and checked that plate, reason, case and
	// a future expiry are present, and priority is 0 (the type's default)
	// to 3. An empty type, or a type code the unit does not know, is the
	// Handler's to settle.
	AddEntry(ctx context.Context, by Session, e record.HotEntry) error
	// RemoveEntry removes the entry for plate and state (state "" is the
	// entry without a state); reason is required. An error when there is
	// no such entry.
	RemoveEntry(ctx context.Context, by Session, plate, state, reason string) error
	// Entries lists hot list entries: the manual ones, or with all every
	// entry, HQ's too (the server passes all only for supervisors).
	Entries(ctx context.Context, by Session, all bool) ([]record.HotEntry, error)
	// Dispose records an officer's disposition of an open alert and
	// publishes it to watchers as a KindDisposition event. The server has
	// set V, Device, By (the session's user) and Time, and checked the
	// outcome. An error when the alert is unknown or already disposed.
	Dispose(ctx context.Context, by Session, d record.Disposition) error
	// OpenAlerts returns the alerts not yet disposed, oldest first, as
	// KindAlert events (with their crop paths).
	OpenAlerts(ctx context.Context) ([]Event, error)
	// Watch returns the live reads, alerts and dispositions from now on.
	// The Handler closes the channel after ctx is done, and never before.
	// The server drains the channel promptly (it never blocks on a slow
	// client), so the Handler may send without a buffer.
	Watch(ctx context.Context) <-chan Event
	// Status reports the unit's state.
	Status(ctx context.Context) (Status, error)
}

// Request is one line from a client.
type Request struct {
	ID   uint64          `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
}

// LoginArgs are the args of OpLogin.
type LoginArgs struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Purpose  string `json:"purpose"`
	Case     string `json:"case,omitempty"`
}

// RemoveArgs are the args of OpHotlistRm.
type RemoveArgs struct {
	Plate  string `json:"plate"`
	State  string `json:"state,omitempty"`
	Reason string `json:"reason"`
}

// ListArgs are the args of OpHotlistList.
type ListArgs struct {
	All bool `json:"all,omitempty"` // every entry, HQ's too: supervisors only
}

// DisposeArgs are the args of OpAlertDispose.
type DisposeArgs struct {
	Alert   string `json:"alert"`
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

// Response answers the Request with the same ID. On success OK is true and
// Result holds the op's result (absent for ops without one); otherwise Code
// and Error say why.
type Response struct {
	ID     uint64          `json:"id"`
	OK     bool            `json:"ok"`
	Code   string          `json:"code,omitempty"`
	Error  string          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

// EventMessage is one pushed event of the watch started by the request ID.
type EventMessage struct {
	ID    uint64 `json:"id"`
	Event Event  `json:"event"`
}

// WatchResult is the result of OpWatch: the open alerts, oldest first, at
// the time the stream started. An alert raised meanwhile may be both here
// and in the stream: consoles key alerts by ID.
type WatchResult struct {
	Open []Event `json:"open"`
}

// Error codes of a failed Response.
const (
	CodeAuth    = "auth"    // not logged in, or the login failed
	CodeDenied  = "denied"  // the session's role may not do this
	CodeInvalid = "invalid" // the request is malformed or fails validation
	CodeFailed  = "failed"  // the unit could not do it (the Handler's error)
)

// Sentinels matching an *Error by code, for errors.Is.
var (
	ErrAuth    = errors.New("ctl: authentication failed")
	ErrDenied  = errors.New("ctl: permission denied")
	ErrInvalid = errors.New("ctl: invalid request")
	ErrFailed  = errors.New("ctl: request failed")
)

// Error is a failed Response as the client returns it.
type Error struct {
	Op   string
	Code string
	Msg  string
}

func (e *Error) Error() string { return "ctl: " + e.Op + ": " + e.Msg }

// Is matches the sentinel of e's code.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case CodeAuth:
		return target == ErrAuth
	case CodeDenied:
		return target == ErrDenied
	case CodeInvalid:
		return target == ErrInvalid
	case CodeFailed:
		return target == ErrFailed
	}
	return false
}
