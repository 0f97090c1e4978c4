// Command alprhq is the reference headquarters receiver for ALPR units: it
// subscribes to the units' topics on the department's broker, opens their
// envelopes, stores reads, alerts, audit records, events, health and
// self-test reports in SQLite, acknowledges each unit's highest contiguous
// sequence, and applies the retention rule. docs/hq.md is the manual.
//
//	alprhq [run] -broker ssl://mqtt.example.org:8883 -ca ca.crt -cert client.crt -key client.key
//	             -hq-keys DIR -devices DIR -db hq.db [-client-id ID] [-topic-prefix alpr/v1]
//	alprhq stats -db hq.db
//	alprhq purge -db hq.db [-days 730]
//	alprhq hold  -db hq.db -read ID -case CASE [-by NAME]
//
// run receives until SIGINT or SIGTERM and then prints its counters. Exit
// status 125 means a bad configuration (do not restart), 2 bad usage, 1 a
// failure.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"alprd/tools/alprhq/hq"
	"alprd/tools/internal/cli"
)

// exitConfig is the exit status of a bad configuration: systemd's
// RestartPreventExitStatus.
const exitConfig = 125

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runReceiver(ctx, args, stdout, stderr)
	case "stats":
		return runStats(ctx, args, stdout, stderr)
	case "purge":
		return runPurge(ctx, args, stdout, stderr)
	case "hold":
		return runHold(ctx, args, stdout, stderr)
	}
	return cli.Usagef(stderr, "alprhq", "unknown command %q (want run, stats, purge or hold)", cmd)
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func runReceiver(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("alprhq", stderr)
	broker := fs.String("broker", "", "broker `URL`: tcp://host:port or ssl://host:port (required)")
	caFile := fs.String("ca", "", "department CA certificate `file`: the broker's and the devices' certificates must chain to it")
	certFile := fs.String("cert", "", "HQ's TLS client certificate `file` (alprprov hq; ssl only)")
	keyFile := fs.String("key", "", "its private key `file` (ssl only)")
	hqKeys := fs.String("hq-keys", "", "`folder` of HQ's HPKE private keys, epoch-<N>.key (required)")
	devices := fs.String("devices", "", "`folder` of the units' certificates, *.crt, searched recursively (required)")
	dbPath := fs.String("db", "", "SQLite database `file` (required; created if missing)")
	clientID := fs.String("client-id", "", "MQTT client id (default: the CN of -cert, else alprhq)")
	prefix := fs.String("topic-prefix", hq.DefaultPrefix, "the units' topic prefix")
	verbose := fs.Bool("v", false, "log debug messages")
	if st, ok := cli.Parse(fs, args, "alprhq [run] -broker URL -hq-keys DIR -devices DIR -db FILE [flags]",
		"Receives the units' messages, stores them in SQLite and acknowledges them, until SIGINT or SIGTERM."); !ok {
		return st
	}
	if fs.NArg() > 0 {
		return cli.Usagef(stderr, "alprhq", "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, f := range []struct{ name, v string }{{"-broker", *broker}, {"-hq-keys", *hqKeys}, {"-devices", *devices}, {"-db", *dbPath}} {
		if f.v == "" {
			return cli.Usagef(stderr, "alprhq", "%s is required", f.name)
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	configErr := func(err error) int {
		log.Error("alprhq: bad configuration", "err", err)
		return exitConfig
	}

	u, err := url.Parse(*broker)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "ssl") || u.Host == "" {
		return configErr(fmt.Errorf("-broker %q: want tcp://host:port or ssl://host:port", *broker))
	}
	var roots *x509.CertPool
	if *caFile != "" {
		if roots, err = loadPool(*caFile); err != nil {
			return configErr(err)
		}
	} else {
		log.Warn("alprhq: no -ca: device certificates are not verified")
	}
	var tlsConf *tls.Config
	id := *clientID
	if u.Scheme == "ssl" {
		if *certFile == "" || *keyFile == "" {
			return configErr(errors.New("-cert and -key are required with an ssl:// broker"))
		}
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return configErr(fmt.Errorf("-cert, -key: %w", err))
		}
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, Certificates: []tls.Certificate{cert}}
		if id == "" && cert.Leaf != nil {
			id = cert.Leaf.Subject.CommonName
		}
	} else if *certFile != "" || *keyFile != "" {
		return configErr(errors.New("-cert and -key need an ssl:// broker"))
	}
	if id == "" {
		id = "alprhq"
	}
	keys, err := hq.LoadHQKeys(*hqKeys)
	if err != nil {
		return configErr(err)
	}
	devs, err := hq.LoadDevices(*devices, roots, time.Now(), log)
	if err != nil {
		return configErr(err)
	}
	store, err := hq.OpenStore(ctx, *dbPath)
	if err != nil {
		return configErr(err)
	}
	defer store.Close()
	r, err := hq.NewReceiver(hq.Config{Broker: *broker, TLS: tlsConf, ClientID: id, TopicPrefix: *prefix,
		HQKeys: keys, Devices: devs, Store: store, Log: log})
	if err != nil {
		return configErr(err)
	}
	log.Info("alprhq: starting", "epochs", slices.Sorted(maps.Keys(keys)), "devices", len(devs), "db", *dbPath)
	if err := r.Run(ctx); err != nil {
		log.Error("alprhq: stopped", "err", err)
		return 1
	}
	c := r.Counters()
	printCounters(stdout, c)
	log.Info("alprhq: stopped", "stored", c.Stored, "duplicates", c.Duplicates, "refused", c.Refused, "other_topic", c.OtherTopic, "acks", c.Acks, "store_errors", c.StoreErrors)
	return 0
}

func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-ca: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("-ca %s: no PEM certificate", file)
	}
	return p, nil
}

func printCounters(w io.Writer, c hq.Counters) {
	fmt.Fprintln(w, "since start:")
	for _, k := range slices.Sorted(maps.Keys(c.Stored)) {
		fmt.Fprintf(w, "  stored %-10s %d\n", k, c.Stored[k])
	}
	fmt.Fprintf(w, "  duplicates        %d\n", c.Duplicates)
	for _, k := range slices.Sorted(maps.Keys(c.Refused)) {
		fmt.Fprintf(w, "  refused %-14s %d\n", k, c.Refused[k])
	}
	fmt.Fprintf(w, "  on another topic  %d\n", c.OtherTopic)
	fmt.Fprintf(w, "  acks published    %d\n", c.Acks)
	fmt.Fprintf(w, "  database errors   %d\n", c.StoreErrors)
}

// openDB parses a subcommand's flags, -db among them, and opens the store.
func openDB(ctx context.Context, fs *flag.FlagSet, db *string, args []string, synopsis, about string, stderr io.Writer) (*hq.Store, int, bool) {
	if st, ok := cli.Parse(fs, args, synopsis, about); !ok {
		return nil, st, false
	}
	if fs.NArg() > 0 {
		return nil, cli.Usagef(stderr, fs.Name(), "unexpected arguments: %s", strings.Join(fs.Args(), " ")), false
	}
	if *db == "" {
		return nil, cli.Usagef(stderr, fs.Name(), "-db is required"), false
	}
	if _, err := os.Stat(*db); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return nil, 1, false
	}
	s, err := hq.OpenStore(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return nil, 1, false
	}
	return s, 0, true
}

func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("alprhq stats", stderr)
	db := fs.String("db", "", "SQLite database `file` (required)")
	s, st, ok := openDB(ctx, fs, db, args, "alprhq stats -db FILE", "Prints what the database holds: per unit, per kind, duplicates and refusals by reason.", stderr)
	if !ok {
		return st
	}
	defer s.Close()
	stats, err := s.Stats(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "alprhq stats: %v\n", err)
		return 1
	}
	for _, d := range stats.Devices {
		last := "never"
		if !d.LastAt.IsZero() {
			last = d.LastAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "device %s ack %d received %d last %s state %s\n", d.Device, d.Ack, d.Received, last, d.State)
	}
	for _, k := range slices.Sorted(maps.Keys(stats.Received)) {
		fmt.Fprintf(stdout, "received %s %d\n", k, stats.Received[k])
	}
	fmt.Fprintf(stdout, "reads held %d\nevidence %d\nduplicates %d\n", stats.Reads, stats.Evidence, stats.Duplicates)
	for _, k := range slices.Sorted(maps.Keys(stats.Refused)) {
		fmt.Fprintf(stdout, "refused %s %d\n", k, stats.Refused[k])
	}
	return 0
}

func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("alprhq purge", stderr)
	db := fs.String("db", "", "SQLite database `file` (required)")
	days := fs.Int("days", 730, "keep reads captured in the last `N` days")
	s, st, ok := openDB(ctx, fs, db, args, "alprhq purge -db FILE [-days N]",
		"Deletes the reads captured more than N days ago, except those held as evidence (alprhq hold).", stderr)
	if !ok {
		return st
	}
	defer s.Close()
	if *days < 1 {
		return cli.Usagef(stderr, "alprhq purge", "-days %d: want at least 1", *days)
	}
	before := time.Now().AddDate(0, 0, -*days)
	n, err := s.Purge(ctx, before)
	if err != nil {
		fmt.Fprintf(stderr, "alprhq purge: %v (%d reads deleted)\n", err, n)
		return 1
	}
	fmt.Fprintf(stdout, "deleted %d reads captured before %s\n", n, before.UTC().Format(time.RFC3339))
	return 0
}

func runHold(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("alprhq hold", stderr)
	db := fs.String("db", "", "SQLite database `file` (required)")
	read := fs.String("read", "", "the read's `id` (required)")
	caseNo := fs.String("case", "", "case `number` (required)")
	by := fs.String("by", os.Getenv("USER"), "who asks for the hold")
	s, st, ok := openDB(ctx, fs, db, args, "alprhq hold -db FILE -read ID -case CASE [-by NAME]",
		"Holds a read as evidence in a case: purge keeps it.", stderr)
	if !ok {
		return st
	}
	defer s.Close()
	if *read == "" || *caseNo == "" {
		return cli.Usagef(stderr, "alprhq hold", "-read and -case are required")
	}
	if err := s.Hold(ctx, *read, *caseNo, *by, time.Now()); err != nil {
		fmt.Fprintf(stderr, "alprhq hold: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "read %s held in case %s\n", *read, *caseNo)
	return 0
}
