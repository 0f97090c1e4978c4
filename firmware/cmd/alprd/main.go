// Command alprd is the daemon of the ALPR camera unit. It reads one
// configuration file and runs the unit until SIGTERM or SIGINT.
//
//	alprd -config /etc/alprd/alprd.json
//	alprd -check-config FILE   validate FILE and exit (0 good, 125 bad)
//	alprd -version
//
// Exit status 125 means a bad configuration: systemd must not restart the unit
// (RestartPreventExitStatus=125); 1 is any other failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"alprd/firmware/config"
	"alprd/firmware/unit"
	"alprd/ocr"
)

const exitBadConfig = 125

func main() {
	configPath := flag.String("config", "/etc/alprd/alprd.json", "configuration `file`")
	check := flag.String("check-config", "", "validate the configuration `file` and exit")
	version := flag.Bool("version", false, "print the firmware version and exit")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "alprd: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if *version {
		fmt.Println(unit.Version)
		return
	}
	if *check != "" {
		if _, err := config.Load(*check); err != nil {
			fmt.Fprintln(os.Stderr, "alprd:", err)
			os.Exit(exitBadConfig)
		}
		fmt.Printf("%s: configuration is valid\n", *check)
		return
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "alprd:", err)
		os.Exit(exitBadConfig)
	}
	ocr.LimitGoMemory()
	log := unit.NewLogger(os.Stderr, cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := unit.Run(ctx, cfg, log); err != nil {
		log.Error("alprd stopped", "err", err)
		if errors.Is(err, unit.ErrConfig) {
			os.Exit(exitBadConfig)
		}
		os.Exit(1)
	}
}
