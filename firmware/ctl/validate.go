package ctl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"alprd/firmware/record"
)

// NormalizePlate returns plate as the hot list stores it: upper case,
// without spaces, dashes and dots. It does not check what remains.
func NormalizePlate(plate string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '\t':
			return -1
		}
		return unicode.ToUpper(r)
	}, plate)
}

// checkPlate checks a normalised plate: 1 to 10 of A-Z and 0-9 (as
// docs/hotlist-format.md).
func checkPlate(p string) error {
	if len(p) < 1 || len(p) > 10 || strings.IndexFunc(p, func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) >= 0 {
		return fmt.Errorf("plate %q: want 1 to 10 letters and digits", p)
	}
	return nil
}

// checkState checks a state: empty or two letters A-Z (the NCIC code).
func checkState(s string) error {
	if s != "" && (len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z') {
		return fmt.Errorf("state %q: want a two-letter code such as CA, or none", s)
	}
	return nil
}

// checkCode checks an upper-case code of up to n letters and digits.
func checkCode(what, v string, n int) error {
	if len(v) > n || strings.IndexFunc(v, func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) >= 0 {
		return fmt.Errorf("%s %q: want up to %d letters and digits", what, v, n)
	}
	return nil
}

// checkText checks free text: at most n bytes, no control characters.
func checkText(what, v string, n int) error {
	if len(v) > n {
		return fmt.Errorf("%s: longer than %d bytes", what, n)
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("%s: control characters or invalid UTF-8", what)
	}
	return nil
}

// checkEntry validates and completes a manual entry made by by at now.
func checkEntry(e *record.HotEntry, by Session, now time.Time) error {
	e.Plate = NormalizePlate(e.Plate)
	e.State = strings.ToUpper(strings.TrimSpace(e.State))
	e.Type = strings.ToUpper(strings.TrimSpace(e.Type))
	e.Reason = strings.TrimSpace(e.Reason)
	e.Case = strings.TrimSpace(e.Case)
	e.Agency = strings.TrimSpace(e.Agency)
	if err := checkPlate(e.Plate); err != nil {
		return err
	}
	if err := checkState(e.State); err != nil {
		return err
	}
	if err := checkCode("type", e.Type, 8); err != nil {
		return err
	}
	if e.Priority < 0 || e.Priority > 3 {
		return fmt.Errorf("priority %d: want 1 (highest) to 3, or 0 for the type's default", e.Priority)
	}
	if e.Reason == "" {
		return errors.New("reason: required")
	}
	if e.Case == "" {
		return errors.New("case: a case number is required")
	}
	for _, f := range []struct {
		what, v string
		n       int
	}{{"reason", e.Reason, maxReason}, {"case", e.Case, maxField}, {"agency", e.Agency, maxAgency}} {
		if err := checkText(f.what, f.v, f.n); err != nil {
			return err
		}
	}
	if time.Time(e.Expires).IsZero() {
		return errors.New("expires: required")
	}
	if !time.Time(e.Expires).After(now) {
		return fmt.Errorf("expires %s: in the past", time.Time(e.Expires).UTC().Format(time.RFC3339))
	}
	e.Source = record.SourceManual
	e.EnteredBy = by.User
	e.Entered = record.Millis(now.UTC().Truncate(time.Millisecond))
	return nil
}

// checkRemove validates a removal; it returns the normalised plate and
// state.
func checkRemove(a *RemoveArgs) (plate, state string, err error) {
	plate = NormalizePlate(a.Plate)
	state = strings.ToUpper(strings.TrimSpace(a.State))
	a.Reason = strings.TrimSpace(a.Reason)
	if err := checkPlate(plate); err != nil {
		return plate, state, err
	}
	if err := checkState(state); err != nil {
		return plate, state, err
	}
	if a.Reason == "" {
		return plate, state, errors.New("reason: required")
	}
	return plate, state, checkText("reason", a.Reason, maxReason)
}

// checkDispose validates a disposition request.
func checkDispose(a *DisposeArgs) error {
	a.Alert = strings.TrimSpace(a.Alert)
	a.Note = strings.TrimSpace(a.Note)
	if a.Alert == "" {
		return errors.New("alert: required")
	}
	if err := checkText("alert", a.Alert, maxField); err != nil {
		return err
	}
	if !slices.Contains(record.Outcomes, a.Outcome) {
		return fmt.Errorf("outcome %q: want one of %s", a.Outcome, strings.Join(record.Outcomes, ", "))
	}
	if utf8.RuneCountInString(a.Note) > maxNote {
		return fmt.Errorf("note: longer than %d characters", maxNote)
	}
	return checkText("note", a.Note, 4*maxNote)
}
