// Command alprcmd signs commands for units and sends them
// (docs/commands.md), at headquarters.
//
//	alprcmd sign -key hq-signing.key -device unit-0042 -seq N [-expires 1h]
//	             [-issued RFC3339] [-epoch N] NAME [ARGS-FILE] > cmd.json
//	alprcmd send -broker ssl://host:8883 -ca ca.crt -cert hq.crt -key hq.key
//	             [-device unit-0042] [-retain] FILE
//
// sign writes a command signed with HQ's Ed25519 key (PKCS#8 PEM, as alprprov
// signing-key writes it). NAME is selftest (no ARGS-FILE), hotlist (ARGS-FILE
// is a signed hot list file, carried as it is) or rotate-key (ARGS-FILE is
// HQ's new HPKE public key PEM, as alprprov hq-key writes it, with -epoch).
// HQ keeps -seq strictly increasing per unit over all its commands: a unit
// refuses a seq not greater than the last it accepted.
//
// send publishes a signed command on alpr/v1/<device>/cmd/<name> with QoS 1
// and waits for the broker's PUBACK. It does not check the signature (the
// unit does) but refuses a command for another device than -device, or one
// already expired. Exit status 2 means bad usage, 1 a bad input or a failure.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"alprd/firmware/command"
	"alprd/firmware/envelope"
	"alprd/firmware/hotlist"
	"alprd/firmware/hqsign"
	"alprd/tools/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func subcommands() []cli.Command {
	return []cli.Command{
		{Name: "sign", Synopsis: "alprcmd sign -key KEY.pem -device ID -seq N [-expires D] [-issued TIME] [-epoch N] NAME [ARGS-FILE] > cmd.json",
			About: "Signs a command for one unit: selftest, hotlist HOTLIST-FILE, or rotate-key -epoch N HQ-EPOCH.pub.", Setup: setupSign},
		{Name: "send", Synopsis: "alprcmd send -broker URL [-ca CA.crt -cert HQ.crt -key HQ.key] [-device ID] [-retain] FILE",
			About: "Publishes a signed command on alpr/v1/<device>/cmd/<name> (QoS 1) and waits for the broker's PUBACK.", Setup: setupSend},
	}
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Dispatch("alprcmd", "Signs commands for units and sends them (docs/commands.md).", subcommands(), args, nil, stdout, stderr)
}

func setupSign(fs *flag.FlagSet) func(c *cli.Ctx) int {
	key := fs.String("key", "", "HQ's signing key `file` (PKCS#8 PEM \"PRIVATE KEY\"); required")
	device := fs.String("device", "", "the unit the command is for; required")
	seq := fs.Uint64("seq", 0, "the command's `seq`, greater than every seq sent to the unit before; required")
	expires := fs.Duration("expires", time.Hour, "how long the command stays valid after -issued, at most 168h")
	issued := fs.String("issued", "", "issue `time`, RFC 3339 (default now)")
	epoch := fs.Uint64("epoch", 0, "rotate-key only: the `epoch` of the new HQ public key; required there")
	return func(c *cli.Ctx) int {
		if *key == "" || *device == "" {
			return c.Usage("-key and -device are required")
		}
		if *seq == 0 {
			return c.Usage("-seq is required (at least 1)")
		}
		if *expires <= 0 || *expires > command.MaxLifetime {
			return c.Usage("-expires %s: want more than 0, at most %s", *expires, command.MaxLifetime)
		}
		cmd := command.Command{Device: *device, Seq: *seq, Issued: time.Now()}
		if *issued != "" {
			t, err := time.Parse(time.RFC3339, *issued)
			if err != nil {
				return c.Usage("-issued %q: want an RFC 3339 time", *issued)
			}
			cmd.Issued = t
		}
		cmd.Issued = cmd.Issued.Truncate(time.Second)
		cmd.Expires = cmd.Issued.Add(*expires)
		if len(c.Args) == 0 {
			return c.Usage("no command NAME given")
		}
		cmd.Name = c.Args[0]
		var args any
		switch {
		case cmd.Name == command.NameSelftest && len(c.Args) == 1:
		case cmd.Name == command.NameHotlist && len(c.Args) == 2:
			data, err := os.ReadFile(c.Args[1])
			if err != nil {
				return c.Fail(err)
			}
			// Checked for form only: the unit checks the signature.
			if _, err := hotlist.Read(data); err != nil {
				return c.Fail(fmt.Errorf("%s: %w", c.Args[1], err))
			}
			args = command.HotlistArgs{File: data}
		case cmd.Name == command.NameRotateKey && len(c.Args) == 2:
			if *epoch == 0 || *epoch > math.MaxUint32 {
				return c.Usage("-epoch is required for rotate-key (1 to %d)", uint32(math.MaxUint32))
			}
			data, err := os.ReadFile(c.Args[1])
			if err != nil {
				return c.Fail(err)
			}
			if _, err := envelope.ParseHQPublicKey(data); err != nil {
				return c.Fail(fmt.Errorf("%s: %w", c.Args[1], err))
			}
			args = command.RotateKeyArgs{PublicKey: string(data), Epoch: uint32(*epoch)}
		case cmd.Name == command.NameSelftest:
			return c.Usage("selftest takes no ARGS-FILE")
		case cmd.Name == command.NameHotlist || cmd.Name == command.NameRotateKey:
			return c.Usage("%s needs one ARGS-FILE", cmd.Name)
		default:
			return c.Usage("unknown command %q: want selftest, hotlist or rotate-key", cmd.Name)
		}
		if *epoch != 0 && cmd.Name != command.NameRotateKey {
			return c.Usage("-epoch is for rotate-key only")
		}
		if args != nil {
			b, err := json.Marshal(args)
			if err != nil {
				return c.Fail(err)
			}
			cmd.Args = b
		}
		pem, err := os.ReadFile(*key)
		if err != nil {
			return c.Fail(err)
		}
		priv, err := hqsign.ParsePrivateKey(pem)
		if err != nil {
			return c.Fail(fmt.Errorf("%s: %w", *key, err))
		}
		out, err := command.Sign(cmd, priv)
		if err != nil {
			return c.Fail(err)
		}
		if _, err := c.Stdout.Write(out); err != nil {
			return c.Fail(err)
		}
		return 0
	}
}

func setupSend(fs *flag.FlagSet) func(c *cli.Ctx) int {
	broker := fs.String("broker", "", "the broker's `URL`, tcp://host:port or ssl://host:port; required")
	caFile := fs.String("ca", "", "`file` of CA certificates (PEM) the broker's certificate must chain to (default: the system's)")
	certFile := fs.String("cert", "", "HQ's client certificate `file` (PEM), for ssl://")
	keyFile := fs.String("key", "", "HQ's client key `file` (PEM), for ssl://")
	clientID := fs.String("client-id", "", "MQTT client `id` (default: the certificate's common name, or alprcmd)")
	device := fs.String("device", "", "the unit to send to; must be the command's (default: the command's)")
	prefix := fs.String("prefix", "alpr/v1", "topic `prefix`")
	retain := fs.Bool("retain", false, "publish retained, so that a unit offline now gets the command when it subscribes")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the connection, then for the PUBACK")
	return func(c *cli.Ctx) int {
		if *broker == "" {
			return c.Usage("-broker is required")
		}
		u, err := url.Parse(*broker)
		if err != nil || (u.Scheme != "tcp" && u.Scheme != "ssl") || u.Host == "" {
			return c.Usage("-broker %q: want tcp://host:port or ssl://host:port", *broker)
		}
		if (*certFile == "") != (*keyFile == "") {
			return c.Usage("-cert and -key go together")
		}
		if u.Scheme == "tcp" && (*caFile != "" || *certFile != "") {
			return c.Usage("-ca, -cert and -key need an ssl:// broker")
		}
		if *prefix == "" || strings.ContainsAny(*prefix, "+#") {
			return c.Usage("-prefix %q: want a topic prefix without wildcards", *prefix)
		}
		if *timeout <= 0 {
			return c.Usage("-timeout %s: want more than 0", *timeout)
		}
		if len(c.Args) != 1 {
			return c.Usage("want one FILE, got %d", len(c.Args))
		}
		msg, err := os.ReadFile(c.Args[0])
		if err != nil {
			return c.Fail(err)
		}
		cmd, err := command.ParseUnverified(msg)
		if err != nil {
			return c.Fail(fmt.Errorf("%s: %w", c.Args[0], err))
		}
		if *device != "" && *device != cmd.Device {
			return c.Fail(fmt.Errorf("%s: the command is for %q, not %q", c.Args[0], cmd.Device, *device))
		}
		if !time.Now().Before(cmd.Expires) {
			return c.Fail(fmt.Errorf("%s: the command expired at %s", c.Args[0], cmd.Expires.Format(time.RFC3339)))
		}
		opts := paho.NewClientOptions().AddBroker(*broker).
			SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
			SetConnectTimeout(*timeout).SetWriteTimeout(*timeout)
		id := *clientID
		if u.Scheme == "ssl" {
			conf, cn, err := tlsConfig(*caFile, *certFile, *keyFile)
			if err != nil {
				return c.Fail(err)
			}
			opts.SetTLSConfig(conf)
			if id == "" {
				id = cn
			}
		}
		if id == "" {
			id = "alprcmd"
		}
		opts.SetClientID(id)
		topic := *prefix + "/" + cmd.Device + "/cmd/" + cmd.Name
		if err := publish(paho.NewClient(opts), topic, msg, *retain, *timeout); err != nil {
			return c.Fail(err)
		}
		fmt.Fprintf(c.Stdout, "alprcmd send: %s seq %d for %s published on %s, acknowledged by the broker\n", cmd.Name, cmd.Seq, cmd.Device, topic)
		return 0
	}
}

// publish connects, publishes msg with QoS 1, waits for the PUBACK and
// disconnects.
func publish(cl paho.Client, topic string, msg []byte, retain bool, timeout time.Duration) error {
	tok := cl.Connect()
	if !tok.WaitTimeout(timeout) {
		return fmt.Errorf("connect: no answer in %s", timeout)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer cl.Disconnect(250)
	tok = cl.Publish(topic, 1, retain, msg)
	if !tok.WaitTimeout(timeout) {
		return fmt.Errorf("publish %s: no PUBACK in %s", topic, timeout)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("publish %s: %w", topic, err)
	}
	return nil
}

// tlsConfig returns the client's TLS configuration and the common name of
// its certificate ("" without one).
func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, string, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, "", fmt.Errorf("-ca: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(b) {
			return nil, "", fmt.Errorf("-ca %s: no PEM certificate", caFile)
		}
	}
	if certFile == "" {
		return conf, "", nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("-cert, -key: %w", err)
	}
	if cert.Leaf == nil {
		return nil, "", errors.New("-cert: no certificate")
	}
	conf.Certificates = []tls.Certificate{cert}
	return conf, cert.Leaf.Subject.CommonName, nil
}
