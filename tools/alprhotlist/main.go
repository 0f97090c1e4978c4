// Command alprhotlist makes, signs and checks hot list files
// (docs/hotlist-format.md) at headquarters.
//
//	alprhotlist convert-cadoj -type SV|FV|SP [-agency ORI] [-layout SPEC] FILE... > body.csv
//	alprhotlist sign   -key hq-signing.key -version N [-kind snapshot|delta] [-base M]
//	                   [-source TEXT] [-created RFC3339] < body.csv > list.hotlist
//	alprhotlist verify -pub hq-signing.pub FILE
//	alprhotlist diff   -old A -new B > delta-body.csv
//
// convert-cadoj turns California DOJ fixed-width extracts (stolen vehicles
// svs.tbl, felony vehicles sfr.tbl, stolen plates slr.tbl) into the body of a
// snapshot: the column line and one add row per plate. sign checks a body
// and signs it with HQ's Ed25519 key (PKCS#8 PEM, as alprprov signing-key
// writes it). verify checks a signed file against HQ's public key(s) and
// prints its summary. diff writes the body of the delta that turns snapshot A
// into snapshot B (signed files or bodies). Exit status 2 means bad usage, 1
// a bad input or a failed check.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"alprd/firmware/hotlist"
	"alprd/firmware/hqsign"
	"alprd/tools/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func commands() []cli.Command {
	return []cli.Command{
		{Name: "convert-cadoj", Synopsis: "alprhotlist convert-cadoj -type SV|FV|SP [-agency ORI] [-layout SPEC] FILE... > body.csv",
			About: "Converts California DOJ fixed-width extracts into the body of a snapshot.", Setup: setupConvert},
		{Name: "sign", Synopsis: "alprhotlist sign -key KEY.pem -version N [-kind snapshot|delta] [-base M] [-source TEXT] [-created TIME] < body > signed",
			About: "Checks a body (column line and rows) and signs it as a hot list file.", Setup: setupSign},
		{Name: "verify", Synopsis: "alprhotlist verify -pub PUB.pem FILE",
			About: "Checks a signed hot list file and prints its summary.", Setup: setupVerify},
		{Name: "diff", Synopsis: "alprhotlist diff -old A -new B > delta-body.csv",
			About: "Writes the body of the delta from snapshot A to snapshot B (signed files or bodies).", Setup: setupDiff},
	}
}

// run executes the command line and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Dispatch("alprhotlist", "Makes, signs and checks hot list files (docs/hotlist-format.md).", commands(), args, stdin, stdout, stderr)
}

func setupConvert(fs *flag.FlagSet) func(c *cli.Ctx) int {
	typ := fs.String("type", "", "list `type` of the extract: SV (svs.tbl), FV (sfr.tbl) or SP (slr.tbl); required")
	agency := fs.String("agency", "", "originating agency `ORI` written in every row")
	spec := fs.String("layout", defaultLayoutSpec, "column `ranges` of the fields, 1-based inclusive; plate and state required")
	return func(c *cli.Ctx) int {
		t, ok := hotlist.LookupType(*typ)
		if !ok || (t.Code != "SV" && t.Code != "FV" && t.Code != "SP") {
			return c.Usage("-type %q: want SV, FV or SP", *typ)
		}
		if len(*agency) > 32 || strings.ContainsAny(*agency, ",\"\n") {
			return c.Usage("-agency %q: want at most 32 characters, no comma or quote", *agency)
		}
		l, err := parseLayout(*spec)
		if err != nil {
			return c.Usage("-layout: %v", err)
		}
		if len(c.Args) == 0 {
			return c.Usage("no extract FILE given")
		}
		conv := &converter{layout: l, typ: t, agency: *agency, seen: map[string]string{}, warn: c.Stderr}
		for _, name := range c.Args {
			f, err := os.Open(name)
			if err != nil {
				return c.Fail(err)
			}
			err = conv.file(name, f)
			f.Close()
			if err != nil {
				return c.Fail(err)
			}
		}
		if err := conv.err(); err != nil {
			return c.Fail(err)
		}
		if err := hotlist.WriteBody(c.Stdout, conv.rows); err != nil {
			return c.Fail(err)
		}
		fmt.Fprintf(c.Stderr, "alprhotlist convert-cadoj: %d rows (%s), %d repeated plates skipped\n", len(conv.rows), t.Code, conv.skipped)
		return 0
	}
}

func setupSign(fs *flag.FlagSet) func(c *cli.Ctx) int {
	key := fs.String("key", "", "HQ's signing key `file` (PKCS#8 PEM \"PRIVATE KEY\"); required")
	version := fs.Uint64("version", 0, "the file's `version`, greater than every version issued before; required")
	kind := fs.String("kind", "", "snapshot or delta (default: delta when -base is given, else snapshot)")
	base := fs.Uint64("base", 0, "delta only: the `version` the delta applies to")
	source := fs.String("source", "", "free `text`: where the data came from")
	created := fs.String("created", "", "creation `time`, RFC 3339 (default now)")
	return func(c *cli.Ctx) int {
		if *key == "" {
			return c.Usage("-key is required")
		}
		if *version == 0 {
			return c.Usage("-version is required (at least 1)")
		}
		if *kind == "" {
			*kind = hotlist.KindSnapshot
			if *base != 0 {
				*kind = hotlist.KindDelta
			}
		}
		if *kind != hotlist.KindSnapshot && *kind != hotlist.KindDelta {
			return c.Usage("-kind %q: want snapshot or delta", *kind)
		}
		if *kind == hotlist.KindDelta && *base == 0 {
			return c.Usage("-base is required for a delta")
		}
		if *kind == hotlist.KindSnapshot && *base != 0 {
			return c.Usage("-base is for deltas only")
		}
		h := hotlist.Header{Kind: *kind, Version: *version, Base: *base, Created: time.Now(), Source: *source}
		if *created != "" {
			t, err := time.Parse(time.RFC3339, *created)
			if err != nil {
				return c.Usage("-created %q: want an RFC 3339 time", *created)
			}
			h.Created = t
		}
		if len(c.Args) > 0 {
			return c.Usage("unexpected arguments: %s (the body is read from standard input)", strings.Join(c.Args, " "))
		}
		pem, err := os.ReadFile(*key)
		if err != nil {
			return c.Fail(err)
		}
		priv, err := hqsign.ParsePrivateKey(pem)
		if err != nil {
			return c.Fail(fmt.Errorf("%s: %w", *key, err))
		}
		body, err := io.ReadAll(c.Stdin)
		if err != nil {
			return c.Fail(err)
		}
		out, err := hotlist.Sign(h, body, priv)
		if err != nil {
			return c.Fail(err)
		}
		if _, err := c.Stdout.Write(out); err != nil {
			return c.Fail(err)
		}
		return 0
	}
}

func setupVerify(fs *flag.FlagSet) func(c *cli.Ctx) int {
	pub := fs.String("pub", "", "HQ's public key `file` (PEM \"PUBLIC KEY\" blocks; several for a rotation); required")
	return func(c *cli.Ctx) int {
		if *pub == "" {
			return c.Usage("-pub is required")
		}
		if len(c.Args) != 1 {
			return c.Usage("want one FILE, got %d", len(c.Args))
		}
		ring, err := hqsign.LoadKeyring(*pub)
		if err != nil {
			return c.Fail(err)
		}
		data, err := os.ReadFile(c.Args[0])
		if err != nil {
			return c.Fail(err)
		}
		f, err := hotlist.Verify(data, ring)
		if err != nil {
			return c.Fail(fmt.Errorf("%s: refused:\n%w", c.Args[0], err))
		}
		summary(c.Stdout, c.Args[0], f)
		return 0
	}
}

// summary prints what a verified file holds.
func summary(w io.Writer, name string, f *hotlist.File) {
	adds, removes := 0, 0
	types := map[string]int{}
	for _, r := range f.Rows {
		if r.Op == hotlist.OpAdd {
			adds++
			types[r.Entry.Type]++
		} else {
			removes++
		}
	}
	fmt.Fprintf(w, "%s: ok, signed by key %s\n", name, f.KeyID)
	fmt.Fprintf(w, "kind     %s\nversion  %d\n", f.Kind, f.Version)
	if f.Kind == hotlist.KindDelta {
		fmt.Fprintf(w, "base     %d\n", f.Base)
	}
	fmt.Fprintf(w, "created  %s\n", f.Created.Format(time.RFC3339))
	if f.Source != "" {
		fmt.Fprintf(w, "source   %s\n", f.Source)
	}
	fmt.Fprintf(w, "rows     %d: %d add, %d remove\n", len(f.Rows), adds, removes)
	var ts []string
	for _, t := range hotlist.Types() {
		if n := types[t.Code]; n > 0 {
			ts = append(ts, fmt.Sprintf("%s %d", t.Code, n))
		}
	}
	if len(ts) > 0 {
		fmt.Fprintf(w, "types    %s\n", strings.Join(ts, ", "))
	}
}

func setupDiff(fs *flag.FlagSet) func(c *cli.Ctx) int {
	oldName := fs.String("old", "", "the older snapshot `file` (signed file or body); required")
	newName := fs.String("new", "", "the newer snapshot `file` (signed file or body); required")
	return func(c *cli.Ctx) int {
		if *oldName == "" || *newName == "" {
			return c.Usage("-old and -new are required")
		}
		if len(c.Args) > 0 {
			return c.Usage("unexpected arguments: %s", strings.Join(c.Args, " "))
		}
		old, err := readSnapshot(*oldName)
		if err != nil {
			return c.Fail(err)
		}
		cur, err := readSnapshot(*newName)
		if err != nil {
			return c.Fail(err)
		}
		rows, err := hotlist.Diff(old, cur)
		if err != nil {
			return c.Fail(err)
		}
		if err := hotlist.WriteBody(c.Stdout, rows); err != nil {
			return c.Fail(err)
		}
		removes := 0
		for _, r := range rows {
			if r.Op == hotlist.OpRemove {
				removes++
			}
		}
		fmt.Fprintf(c.Stderr, "alprhotlist diff: %d remove, %d add\n", removes, len(rows)-removes)
		return 0
	}
}

// readSnapshot reads the rows of a snapshot: a file (its signature is not
// checked: these are HQ's own files) or a body.
func readSnapshot(name string) ([]hotlist.Row, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("#alprd-hotlist")) {
		f, err := hotlist.Read(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if f.Kind != hotlist.KindSnapshot {
			return nil, fmt.Errorf("%s: a %s, want a snapshot", name, f.Kind)
		}
		return f.Rows, nil
	}
	rows, err := hotlist.ParseBody(data, hotlist.KindSnapshot)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rows, nil
}
