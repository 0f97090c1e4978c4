package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"alprd/firmware/hotlist"
	"alprd/firmware/record"
)

// layout is where the fields of a California DOJ fixed-width extract row
// are: 1-based inclusive column ranges, 0 when the field is absent.
type layout struct {
	plate, state, county, date [2]int
}

// defaultLayout is the layout OpenALPR's public hot list importer reads
// (openalpr/openalpr_hotlist_import, parser ca_doj_clew): plate 1-8, state
// 9-10, county code 11-12, date of loss (YYYYMMDD) 13-20.
var defaultLayout = layout{plate: [2]int{1, 8}, state: [2]int{9, 10}, county: [2]int{11, 12}, date: [2]int{13, 20}}

const defaultLayoutSpec = "plate=1-8,state=9-10,county=11-12,date=13-20"

// parseLayout reads "plate=1-8,state=9-10,county=11-12,date=13-20"; plate
// and state are required, county and date optional.
func parseLayout(spec string) (layout, error) {
	var l layout
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		name, r, ok := strings.Cut(strings.TrimSpace(part), "=")
		from, to, ok2 := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(from)
		b, err2 := strconv.Atoi(to)
		if !ok || !ok2 || err1 != nil || err2 != nil || a < 1 || b < a {
			return l, fmt.Errorf("layout %q: want name=FIRST-LAST with 1 <= FIRST <= LAST", part)
		}
		if seen[name] {
			return l, fmt.Errorf("layout: %s given twice", name)
		}
		seen[name] = true
		switch name {
		case "plate":
			l.plate = [2]int{a, b}
		case "state":
			l.state = [2]int{a, b}
		case "county":
			l.county = [2]int{a, b}
		case "date":
			l.date = [2]int{a, b}
		default:
			return l, fmt.Errorf("layout: unknown field %q (want plate, state, county, date)", name)
		}
	}
	if !seen["plate"] || !seen["state"] {
		return l, fmt.Errorf("layout %q: plate and state are required", spec)
	}
	return l, nil
}

// cut returns the trimmed columns r of line, "" when absent or beyond it.
func cut(line string, r [2]int) string {
	if r[0] == 0 || r[0] > len(line) {
		return ""
	}
	return strings.TrimSpace(line[r[0]-1 : min(r[1], len(line))])
}

// converter turns extracts into snapshot rows.
type converter struct {
	layout  layout
	typ     hotlist.ListType
	agency  string
	rows    []hotlist.Row
	seen    map[string]string // plate+state -> where first seen
	warn    io.Writer
	errs    []string
	nerrs   int
	skipped int
}

const maxConvertErrors = 20

func (c *converter) fail(where, format string, a ...any) {
	if c.nerrs++; len(c.errs) < maxConvertErrors {
		c.errs = append(c.errs, where+": "+fmt.Sprintf(format, a...))
	}
}

// file converts one extract; name is for messages.
func (c *converter) file(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	rows, footer := 0, -1
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		where := fmt.Sprintf("%s:%d", name, n)
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case n == 1 && strings.HasPrefix(line, "DATE"):
			continue // extract header: DATEMM/DD/YYYY HH:MM
		case strings.HasPrefix(line, "TOTAL RECORD"):
			v, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "TOTAL RECORD")))
			if err != nil {
				c.fail(where, "footer %q: want TOTAL RECORD and a count", line)
				continue
			}
			footer = v
			continue
		}
		rows++
		if footer >= 0 {
			c.fail(where, "row after the footer")
		}
		c.row(line, where)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if footer >= 0 && footer != rows {
		c.fail(name, "footer says %d records, the file has %d (truncated extract?)", footer, rows)
	}
	return nil
}

func (c *converter) row(line, where string) {
	plate, err := hotlist.Normalize(cut(line, c.layout.plate))
	if err != nil {
		c.fail(where, "%s", strings.TrimPrefix(err.Error(), "hotlist: "))
		return
	}
	state := cut(line, c.layout.state)
	if len(state) != 2 || strings.ToUpper(state) != state || strings.Trim(state, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		c.fail(where, "state %q: want two upper-case letters", state)
		return
	}
	reason := c.typ.Name
	if county := cut(line, c.layout.county); county != "" {
		if _, err := strconv.Atoi(county); err != nil {
			c.fail(where, "county %q: want digits", county)
			return
		}
		reason += " (county " + county + ")"
	}
	var entered record.Millis
	if d := cut(line, c.layout.date); d != "" {
		t, err := time.Parse("20060102", d)
		if err != nil {
			c.fail(where, "date of loss %q: want YYYYMMDD", d)
			return
		}
		entered = record.Millis(t)
	}
	key := plate + " " + state
	if first, dup := c.seen[key]; dup {
		fmt.Fprintf(c.warn, "alprhotlist convert-cadoj: %s: %s repeats %s, skipped\n", where, key, first)
		c.skipped++
		return
	}
	c.seen[key] = where
	c.rows = append(c.rows, hotlist.Row{Op: hotlist.OpAdd, Entry: record.HotEntry{
		Plate: plate, State: state, Type: c.typ.Code, Reason: reason,
		Agency: c.agency, EnteredBy: "cadoj-import", Entered: entered,
	}})
}

// err returns the bad rows, one per line, or nil.
func (c *converter) err() error {
	if c.nerrs == 0 {
		return nil
	}
	var b bytes.Buffer
	for _, e := range c.errs {
		b.WriteString("\n  " + e)
	}
	if more := c.nerrs - len(c.errs); more > 0 {
		fmt.Fprintf(&b, "\n  and %d more", more)
	}
	return fmt.Errorf("%d bad lines:%s", c.nerrs, b.String())
}
