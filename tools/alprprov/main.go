// Command alprprov provisions the department's MQTT keys and certificates
// for ALPR units: the CA, HQ's keys, the broker's configuration and one
// bundle per unit.
//
//	alprprov ca          -dir D -name "Example PD ALPR CA" [-days 7300]
//	alprprov signing-key -dir D
//	alprprov hq-key      -dir D -epoch N [-suite p256|mlkem768-p256]
//	alprprov hq          -dir D [-ca D/ca] -name hq-main [-days 730]
//	alprprov broker      -dir D [-ca D/ca] -host mqtt.example.org[,10.0.0.5]
//	                     [-port 8883] [-prefix alpr/v1] [-hq hq-main,...]
//	                     [-install-dir /etc/mosquitto/alpr] [-days 730]
//	alprprov acl         -dir D [-prefix alpr/v1] [-hq hq-main,...]
//	alprprov device      -dir D [-ca D/ca] -name unit-0042 [-days 730] [-partial]
//
// Each command writes one folder below D (see package
// alprd/tools/alprprov/prov for the layout and the naming rules) and refuses
// to replace one that holds a private key unless given -force. Exit status 2
// means bad usage, 1 a failure (including a refusal to overwrite).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"alprd/tools/alprprov/prov"
	"alprd/tools/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func commands() []cli.Command {
	return []cli.Command{
		{Name: "ca", Synopsis: "alprprov ca -dir D -name NAME [-days N] [-force]",
			About: "Creates the department CA (ECDSA P-256, self-signed, path length 0) in D/ca.", Setup: setupCA},
		{Name: "signing-key", Synopsis: "alprprov signing-key -dir D [-force]",
			About: "Creates HQ's Ed25519 signing key for hot lists and commands in D/signing and prints its key id.", Setup: setupSigningKey},
		{Name: "hq-key", Synopsis: "alprprov hq-key -dir D -epoch N [-suite p256|mlkem768-p256] [-force]",
			About: "Creates HQ's HPKE key pair of a key epoch in D/hq-keys (package alprd/firmware/envelope).", Setup: setupHQKey},
		{Name: "hq", Synopsis: "alprprov hq -dir D [-ca D/ca] -name hq-NAME [-days N] [-force]",
			About: "Issues an HQ subscriber's client certificate (CN = name, which starts with hq-) into D/hq/NAME.", Setup: setupHQ},
		{Name: "broker", Synopsis: "alprprov broker -dir D [-ca D/ca] -host HOST[,HOST...] [flags]",
			About: "Issues the broker's server certificate and writes its Mosquitto configuration and ACL into D/broker.", Setup: setupBroker},
		{Name: "acl", Synopsis: "alprprov acl -dir D [-prefix alpr/v1] [-hq hq-NAME,...]",
			About: "Rewrites D/broker/acl, e.g. after adding an HQ identity (then send mosquitto SIGHUP).", Setup: setupACL},
		{Name: "device", Synopsis: "alprprov device -dir D [-ca D/ca] -name UNIT [-days N] [-partial] [-force]",
			About: "Issues a unit's client certificate (CN = unit id) and writes the bundle a technician copies to the unit into D/devices/UNIT.", Setup: setupDevice},
	}
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Dispatch("alprprov", "Provisions the department's MQTT keys and certificates for ALPR units.\n"+
		"Run in this order: ca, signing-key, hq-key, hq, broker, then device for each unit.", commands(), args, nil, stdout, stderr)
}

// common holds the flags most commands share.
type common struct {
	dir, ca  string
	force    bool
	days     int
	withDays bool
}

func commonFlags(fs *flag.FlagSet, withCA bool, days time.Duration) *common {
	o := new(common)
	fs.StringVar(&o.dir, "dir", "", "provisioning `directory` (required; created if missing)")
	if withCA {
		fs.StringVar(&o.ca, "ca", "", "the CA's `folder` (default D/ca)")
	}
	fs.BoolVar(&o.force, "force", false, "replace existing keys")
	if o.withDays = days > 0; o.withDays {
		fs.IntVar(&o.days, "days", int(days/(24*time.Hour)), "validity in days")
	}
	return o
}

// check reports a usage error in the common flags (exit status 2), or 0.
func (o *common) check(c *cli.Ctx) int {
	if len(c.Args) > 0 {
		return c.Usage("unexpected arguments: %s", strings.Join(c.Args, " "))
	}
	if o.dir == "" {
		return c.Usage("-dir is required")
	}
	if o.withDays && (o.days < 1 || o.days > 100*365) {
		return c.Usage("-days %d: want 1 to %d", o.days, 100*365)
	}
	return 0
}

func (o *common) prov() prov.Dir { return prov.Dir{Root: o.dir, CA: o.ca, Force: o.force} }

func (o *common) validity() time.Duration { return time.Duration(o.days) * 24 * time.Hour }

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// hqList parses -hq; a usage error is reported and returns status 2.
func hqList(c *cli.Ctx, s string) ([]string, int) {
	hq := splitList(s)
	for _, h := range hq {
		if err := prov.ValidHQ(h); err != nil {
			return nil, c.Usage("-hq: %v", err)
		}
	}
	return hq, 0
}

func setupCA(fs *flag.FlagSet) func(c *cli.Ctx) int {
	o := commonFlags(fs, false, prov.CAValidity)
	name := fs.String("name", "", "the CA's name (its CN), e.g. \"Example PD ALPR CA\" (required)")
	return func(c *cli.Ctx) int {
		if st := o.check(c); st != 0 {
			return st
		}
		if strings.TrimSpace(*name) == "" {
			return c.Usage("-name is required")
		}
		ca, err := o.prov().CreateCA(*name, o.validity())
		if err != nil {
			return c.Fail(err)
		}
		fmt.Fprintf(c.Stdout, "CA %q in %s, valid until %s\n", ca.Cert.Subject.CommonName,
			filepath.Join(o.dir, prov.CAFolder), ca.Cert.NotAfter.Format(time.DateOnly))
		return 0
	}
}

func setupSigningKey(fs *flag.FlagSet) func(c *cli.Ctx) int {
	o := commonFlags(fs, false, 0)
	return func(c *cli.Ctx) int {
		if st := o.check(c); st != 0 {
			return st
		}
		k, err := o.prov().CreateSigningKey()
		if err != nil {
			return c.Fail(err)
		}
		fmt.Fprintf(c.Stdout, "HQ signing key in %s\nkey id %s\n", filepath.Join(o.dir, prov.SigningFolder), k.KeyID())
		return 0
	}
}

func setupHQ(fs *flag.FlagSet) func(c *cli.Ctx) int {
	o := commonFlags(fs, true, prov.HQValidity)
	name := fs.String("name", "", "the HQ identity, starting with hq- (required)")
	return func(c *cli.Ctx) int {
		if st := o.check(c); st != 0 {
			return st
		}
		if *name == "" {
			return c.Usage("-name is required")
		}
		if err := prov.ValidHQ(*name); err != nil {
			return c.Usage("-name: %v", err)
		}
		id, err := o.prov().CreateHQ(*name, o.validity())
		if err != nil {
			return c.Fail(err)
		}
		fmt.Fprintf(c.Stdout, "HQ identity %s in %s, serial %x, valid until %s\n", *name,
			filepath.Join(o.dir, prov.HQFolder, *name), id.Cert.SerialNumber, id.Cert.NotAfter.Format(time.DateOnly))
		fmt.Fprintf(c.Stdout, "if the broker exists already: alprprov acl -dir %s, install the ACL, send mosquitto SIGHUP\n", o.dir)
		return 0
	}
}

func setupBroker(fs *flag.FlagSet) func(c *cli.Ctx) int {
	o := commonFlags(fs, true, prov.BrokerValidity)
	hosts := fs.String("host", "", "comma-separated DNS names and IP addresses the units dial (required)")
	port := fs.Int("port", 8883, "TLS listener port")
	prefix := fs.String("prefix", prov.DefaultPrefix, "topic prefix (the units' mqtt.topic_prefix)")
	hqFlag := fs.String("hq", "", "comma-separated HQ identities (default: those issued in D/hq)")
	installDir := fs.String("install-dir", prov.DefaultInstallDir, "where the broker's files go on the broker host (the paths in alpr.conf)")
	return func(c *cli.Ctx) int {
		if st := o.check(c); st != 0 {
			return st
		}
		hostList := splitList(*hosts)
		if len(hostList) == 0 {
			return c.Usage("-host is required")
		}
		if *port < 1 || *port > 65535 {
			return c.Usage("-port %d: want 1 to 65535", *port)
		}
		if err := prov.ValidPrefix(*prefix); err != nil {
			return c.Usage("-prefix: %v", err)
		}
		if !filepath.IsAbs(*installDir) {
			return c.Usage("-install-dir %q: want an absolute path", *installDir)
		}
		hq, st := hqList(c, *hqFlag)
		if st != 0 {
			return st
		}
		id, err := o.prov().CreateBroker(prov.BrokerOptions{
			Hosts: hostList, Port: *port, Prefix: *prefix, HQ: hq, InstallDir: *installDir, Validity: o.validity(),
		})
		if err != nil {
			return c.Fail(err)
		}
		out := filepath.Join(o.dir, prov.BrokerFolder)
		fmt.Fprintf(c.Stdout, "broker certificate for %s in %s, valid until %s\n", strings.Join(hostList, ", "), out, id.Cert.NotAfter.Format(time.DateOnly))
		fmt.Fprintf(c.Stdout, "install: copy %s/{%s,%s,%s,%s} to %s and %s to /etc/mosquitto/conf.d/ (docs/provisioning.md)\n",
			out, prov.CACert, prov.ServerCert, prov.ServerKey, prov.ACLFile, *installDir, prov.BrokerConfFile)
		return 0
	}
}

func setupACL(fs *flag.FlagSet) func(c *cli.Ctx) int {
	dir := fs.String("dir", "", "provisioning `directory` (required)")
	prefix := fs.String("prefix", prov.DefaultPrefix, "topic prefix (the units' mqtt.topic_prefix)")
	hqFlag := fs.String("hq", "", "comma-separated HQ identities (default: those issued in D/hq)")
	return func(c *cli.Ctx) int {
		if len(c.Args) > 0 {
			return c.Usage("unexpected arguments: %s", strings.Join(c.Args, " "))
		}
		if *dir == "" {
			return c.Usage("-dir is required")
		}
		if err := prov.ValidPrefix(*prefix); err != nil {
			return c.Usage("-prefix: %v", err)
		}
		hq, st := hqList(c, *hqFlag)
		if st != 0 {
			return st
		}
		path, err := prov.Dir{Root: *dir}.WriteACL(*prefix, hq)
		if err != nil {
			return c.Fail(err)
		}
		fmt.Fprintf(c.Stdout, "ACL written to %s\n", path)
		return 0
	}
}

func setupDevice(flags *flag.FlagSet) func(c *cli.Ctx) int {
	o := commonFlags(flags, true, prov.DeviceValidity)
	name := flags.String("name", "", "the unit's id, the device of its configuration (required)")
	partial := flags.Bool("partial", false, "write the bundle even without HQ's signing key or encryption keys")
	return func(c *cli.Ctx) int {
		if st := o.check(c); st != 0 {
			return st
		}
		if *name == "" {
			return c.Usage("-name is required")
		}
		if err := prov.ValidDevice(*name); err != nil {
			return c.Usage("-name: %v", err)
		}
		d := o.prov()
		if !*partial {
			if _, err := os.Stat(filepath.Join(o.dir, prov.SigningFolder, prov.SigningPublic)); errors.Is(err, fs.ErrNotExist) {
				return c.Fail(fmt.Errorf("no HQ signing key in %s: run 'alprprov signing-key' first, or give -partial", o.dir))
			}
			keys, err := d.HQPublicKeys()
			if err != nil {
				return c.Fail(err)
			}
			if len(keys) == 0 {
				return c.Fail(fmt.Errorf("no HQ encryption key in %s: run 'alprprov hq-key' first, or give -partial", filepath.Join(o.dir, prov.HQKeysFolder)))
			}
		}
		b, err := d.CreateDevice(*name, o.validity())
		if err != nil {
			return c.Fail(err)
		}
		fmt.Fprintf(c.Stdout, "unit %s: bundle %s (%s), serial %x, valid until %s\n", *name, b.Dir,
			strings.Join(b.Files, ", "), b.Identity.Cert.SerialNumber, b.Identity.Cert.NotAfter.Format(time.DateOnly))
		if b.SigningKeyID == "" {
			fmt.Fprintln(c.Stdout, "warning: no HQ signing key in the bundle: the unit will refuse HQ's hot lists and commands")
		} else {
			fmt.Fprintf(c.Stdout, "HQ signing key id %s\n", b.SigningKeyID)
		}
		if len(b.Epochs) == 0 {
			fmt.Fprintln(c.Stdout, "warning: no HQ encryption key in the bundle: the unit cannot encrypt its messages")
		}
		return 0
	}
}
