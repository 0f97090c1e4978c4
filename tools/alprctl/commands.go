package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"alprd/firmware/ctl"
	"alprd/firmware/hotlist"
	"alprd/firmware/record"
	"alprd/tools/internal/cli"
)

// minPassword is the shortest password passwd accepts.
const minPassword = 8

func cmdPasswd(g globals, args []string, e env) error {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	if status, ok := parseFlagsOnly(fs, args, e); !ok {
		if status == 0 {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() != 2 {
		return usagef("passwd: want NAME ROLE")
	}
	name, role := fs.Arg(0), fs.Arg(1)
	if !slices.Contains(ctl.Roles, role) {
		return usagef("passwd: role %q, want one of %s", role, strings.Join(ctl.Roles, ", "))
	}
	var pw string
	var err error
	if g.passwordFile != "" {
		if pw, err = readPasswordFile(g.passwordFile); err != nil {
			return err
		}
	} else {
		p := &prompter{e: e}
		defer p.close()
		if pw, err = p.secret("New password for " + name + ": "); err != nil {
			return err
		}
		again, err := p.secret("Again: ")
		if err != nil {
			return err
		}
		if again != pw {
			return errors.New("passwd: the passwords differ")
		}
	}
	if utf8.RuneCountInString(pw) < minPassword {
		return fmt.Errorf("passwd: password shorter than %d characters", minPassword)
	}
	line, err := ctl.UserLine(name, role, pw, ctl.DefaultIterations)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.out, line)
	return nil
}

// parseFlagsOnly parses fs with a usage text; extra arguments stay.
func parseFlagsOnly(fs *flag.FlagSet, args []string, e env) (int, bool) {
	fs.SetOutput(e.err)
	return cli.Parse(fs, args, "alprctl passwd NAME ROLE", "Prints a users file line (/etc/alprd/users) for NAME with ROLE and a password typed twice.")
}

func cmdStatus(ctx context.Context, g globals, args []string, e env) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	if err := parseSub(fs, args, "alprctl status", "Prints the unit's state.", e); err != nil {
		return err
	}
	c, _, err := login(ctx, g, e)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	writeStatus(e.out, st, time.Now())
	return nil
}

// writeStatus prints st as aligned key/value lines.
func writeStatus(w io.Writer, st ctl.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "device\t%s\n", st.Device)
	fmt.Fprintf(tw, "firmware\t%s\n", st.Firmware)
	fmt.Fprintf(tw, "unit clock\t%s\n", fmtTime(st.Time))
	if !time.Time(st.Started).IsZero() {
		fmt.Fprintf(tw, "up since\t%s (%s)\n", fmtTime(st.Started), fmtAge(now.Sub(time.Time(st.Started))))
	}
	fmt.Fprintf(tw, "hot list\t%s\n", hotlistSummary(st.HotList, now))
	for _, k := range slices.Sorted(maps.Keys(st.Counters)) {
		fmt.Fprintf(tw, "%s\t%d\n", k, st.Counters[k])
	}
	for _, w := range st.Warnings {
		fmt.Fprintf(tw, "WARNING\t%s\n", w)
	}
	tw.Flush()
}

func hotlistSummary(h ctl.HotListStatus, now time.Time) string {
	if h.Version == "" {
		return "none loaded"
	}
	s := "version " + h.Version
	if age, ok := hotlistAge(h, now); ok {
		s += ", age " + fmtAge(age)
	}
	return s + fmt.Sprintf(", %d entries (%d manual)", h.Entries, h.Manual)
}

// hotlistAge is the time since HQ issued the list (or the unit loaded it).
func hotlistAge(h ctl.HotListStatus, now time.Time) (time.Duration, bool) {
	t := time.Time(h.Issued)
	if t.IsZero() {
		t = time.Time(h.Loaded)
	}
	if t.IsZero() {
		return 0, false
	}
	return now.Sub(t), true
}

func fmtTime(m record.Millis) string {
	t := time.Time(m)
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fmtAge writes a duration the way a person reads an age: 45s, 12m, 3h05m, 2d04h.
func fmtAge(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

func cmdHotlist(ctx context.Context, g globals, args []string, e env) error {
	if len(args) == 0 {
		return usagef("hotlist: want add, remove or list")
	}
	switch sub, args := args[0], args[1:]; sub {
	case "add":
		return cmdHotlistAdd(ctx, g, args, e)
	case "remove":
		return cmdHotlistRemove(ctx, g, args, e)
	case "list":
		return cmdHotlistList(ctx, g, args, e)
	default:
		return usagef("hotlist: unknown command %q, want add, remove or list", sub)
	}
}

// parseExpiry reads -expires: a duration from now (Go syntax, plus d for
// days: 24h, 90m, 7d) or an RFC 3339 time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("-expires is required (e.g. 24h, 7d or 2026-12-01T08:00:00Z)")
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return now.Add(time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("-expires %s: want a time in the future", s)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("-expires %q: want a duration (24h, 7d) or an RFC 3339 time", s)
	}
	return t, nil
}

func cmdHotlistAdd(ctx context.Context, g globals, args []string, e env) error {
	fs := flag.NewFlagSet("hotlist add", flag.ContinueOnError)
	var en record.HotEntry
	fs.StringVar(&en.Plate, "plate", "", "the `plate` (letters and digits; spaces and dashes are dropped)")
	fs.StringVar(&en.State, "state", "", "issuing `state` (CA); empty matches any")
	fs.StringVar(&en.Type, "type", "", "list type `code`: "+typeCodes())
	fs.StringVar(&en.Reason, "reason", "", "why the vehicle is wanted")
	fs.StringVar(&en.Case, "case", g.caseNo, "the entry's case `number` (default: the session's -case)")
	fs.StringVar(&en.Agency, "agency", "", "originating agency `ORI`")
	fs.IntVar(&en.Priority, "priority", 0, "priority, 1 (highest) to 3; 0: the type's default")
	expires := fs.String("expires", "", "when the entry lapses: a duration (24h, 7d) or an RFC 3339 time")
	if err := parseSub(fs, args, "alprctl hotlist add -plate P [-state S] -type T -reason R [-case C] -expires 24h|7d|RFC3339 [-priority N]",
		"Adds a manual hot list entry on this unit.", e); err != nil {
		return err
	}
	exp, err := parseExpiry(*expires, time.Now())
	if err != nil {
		return usagef("hotlist add: %v", err)
	}
	en.Expires = record.Millis(exp)
	for _, f := range []struct{ name, v string }{{"plate", en.Plate}, {"type", en.Type}, {"reason", en.Reason}, {"case", en.Case}} {
		if strings.TrimSpace(f.v) == "" {
			return usagef("hotlist add: -%s is required", f.name)
		}
	}
	c, _, err := login(ctx, g, e)
	if err != nil {
		return err
	}
	defer c.Close()
	got, err := c.AddEntry(ctx, en)
	if err != nil {
		return err
	}
	pri := "the type's default priority"
	if got.Priority != 0 {
		pri = fmt.Sprintf("priority %d", got.Priority)
	}
	fmt.Fprintf(e.out, "added %s: %s %s, %s, case %s, expires %s\n",
		plateState(got.Plate, got.State), got.Type, typeName(got.Type), pri, got.Case, fmtTime(got.Expires))
	return nil
}

func cmdHotlistRemove(ctx context.Context, g globals, args []string, e env) error {
	fs := flag.NewFlagSet("hotlist remove", flag.ContinueOnError)
	plate := fs.String("plate", "", "the entry's `plate`")
	state := fs.String("state", "", "the entry's `state`, if it has one")
	reason := fs.String("reason", "", "why it is removed (recovered, cancelled, ...)")
	if err := parseSub(fs, args, "alprctl hotlist remove -plate P [-state S] -reason R", "Removes a hot list entry.", e); err != nil {
		return err
	}
	if *plate == "" || strings.TrimSpace(*reason) == "" {
		return usagef("hotlist remove: -plate and -reason are required")
	}
	c, _, err := login(ctx, g, e)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.RemoveEntry(ctx, *plate, *state, *reason); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "removed %s\n", plateState(ctl.NormalizePlate(*plate), strings.ToUpper(*state)))
	return nil
}

func cmdHotlistList(ctx context.Context, g globals, args []string, e env) error {
	fs := flag.NewFlagSet("hotlist list", flag.ContinueOnError)
	all := fs.Bool("all", false, "every entry, HQ's too (supervisors only)")
	if err := parseSub(fs, args, "alprctl hotlist list [-all]", "Lists the manual hot list entries, or with -all every entry.", e); err != nil {
		return err
	}
	c, _, err := login(ctx, g, e)
	if err != nil {
		return err
	}
	defer c.Close()
	es, err := c.Entries(ctx, *all)
	if err != nil {
		return err
	}
	writeEntries(e.out, es)
	return nil
}

// writeEntries prints entries as a table, by plate.
func writeEntries(w io.Writer, es []record.HotEntry) {
	es = slices.Clone(es)
	slices.SortStableFunc(es, func(a, b record.HotEntry) int { return strings.Compare(a.Plate+"/"+a.State, b.Plate+"/"+b.State) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATE\tSTATE\tTYPE\tPRI\tEXPIRES\tCASE\tSOURCE\tENTERED BY\tREASON")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n",
			clean(e.Plate), dash(clean(e.State)), clean(e.Type), e.Priority, fmtTime(e.Expires), dash(clean(e.Case)),
			clean(e.Source), dash(clean(e.EnteredBy)), clean(e.Reason))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d entries\n", len(es))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plateState(plate, state string) string {
	if state == "" {
		return plate
	}
	return plate + " (" + state + ")"
}

// typeName names a hot list type code (docs/hotlist-format.md).
func typeName(code string) string {
	if t, ok := hotlist.LookupType(strings.ToUpper(code)); ok {
		return t.Name
	}
	return "list " + clean(code)
}

// typeCodes lists the type codes for -type's help.
func typeCodes() string {
	var s []string
	for _, t := range hotlist.Types() {
		s = append(s, t.Code+" "+t.Name)
	}
	return strings.Join(s, ", ")
}

// clean makes data safe to print on a terminal: control characters (which
// could move the cursor or rewrite the screen) become '?'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}
