// Command alprctl is the local console of an ALPR unit: the officer's
// alert console on the mobile data computer, manual hot list entries, the
// unit's status, and the users file lines technicians provision. It talks
// to the daemon over the control socket (package alprd/firmware/ctl); see
// docs/ctl.md.
//
//	alprctl [-socket PATH] [-user NAME] [-purpose TEXT] [-case NUM] [-password-file FILE] COMMAND [flags]
//
// Commands:
//
//	watch            the full-screen alert console (needs a terminal)
//	status           the unit's state
//	hotlist add      -plate P [-state S] -type T -reason R [-case C] -expires 24h|7d|RFC3339 [-priority N] [-agency ORI]
//	                 (-case defaults to the session's; -priority to the type's)
//	hotlist remove   -plate P [-state S] -reason R
//	hotlist list     [-all] (the manual entries; -all: every entry, supervisors only)
//	passwd NAME ROLE prints a users file line for a password typed twice
//
// Every command but passwd logs in first: the user, and the purpose of this
// access (required by policy; recorded with every request), are asked on
// the terminal unless given by -user and -purpose; the password is asked
// without echo, or read from -password-file (for scripts; the file's first
// line). Prompts use the controlling terminal (/dev/tty), so they work
// with standard input redirected.
//
// Exit status: 0 done, 1 failed, 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"alprd/firmware/ctl"
	"alprd/tools/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], env{out: os.Stdout, err: os.Stderr, tty: openTTY})
	stop()
	os.Exit(code)
}

// env is what a command sees of the world.
type env struct {
	out, err io.Writer
	// tty opens the controlling terminal for prompts and the console; an
	// error when there is none.
	tty func() (*os.File, error)
}

func openTTY() (*os.File, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("no terminal: %w", err)
	}
	return f, nil
}

// globals are the flags before the command.
type globals struct {
	socket, user, purpose, caseNo, passwordFile string
}

const synopsis = "alprctl [-socket PATH] [-user NAME] [-purpose TEXT] [-case NUM] [-password-file FILE] COMMAND [flags]"

const about = `The unit's local console. Commands:
  watch            the full-screen alert console
  status           the unit's state
  hotlist add      -plate P [-state S] -type T -reason R [-case C] -expires 24h|7d|RFC3339 [-priority N]
  hotlist remove   -plate P [-state S] -reason R
  hotlist list     [-all]
  passwd NAME ROLE print a users file line (roles: officer, technician, supervisor)
Every access is logged with the user, the purpose and the case number.`

// errUsage marks errors that exit with status 2; the message is printed.
var errUsage = errors.New("usage")

// errHelp ends a command after its -h: exit status 0.
var errHelp = errors.New("help shown")

// run executes the command line and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("alprctl", flag.ContinueOnError)
	fs.SetOutput(e.err)
	var g globals
	fs.StringVar(&g.socket, "socket", ctl.DefaultSocket, "the daemon's control `socket`")
	fs.StringVar(&g.user, "user", "", "log in as `NAME` (asked when not given)")
	fs.StringVar(&g.purpose, "purpose", "", "why you access the data, recorded with every request (asked when not given)")
	fs.StringVar(&g.caseNo, "case", "", "case `number` this access is for, if any")
	fs.StringVar(&g.passwordFile, "password-file", "", "read the password from the first line of `FILE` instead of asking")
	if status, ok := cli.Parse(fs, args, synopsis, about); !ok {
		return status
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return cli.Usagef(e.err, "alprctl", "no command")
	}
	var err error
	switch cmd, cargs := rest[0], rest[1:]; cmd {
	case "passwd":
		err = cmdPasswd(g, cargs, e)
	case "status":
		err = cmdStatus(ctx, g, cargs, e)
	case "hotlist":
		err = cmdHotlist(ctx, g, cargs, e)
	case "watch":
		err = cmdWatch(ctx, g, cargs, e)
	default:
		return cli.Usagef(e.err, "alprctl", "unknown command %q", cmd)
	}
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		if msg := err.Error(); msg != errUsage.Error() {
			return cli.Usagef(e.err, "alprctl", "%s", trimUsage(msg))
		}
		return 2
	default:
		fmt.Fprintf(e.err, "alprctl: %v\n", err)
		return 1
	}
}

// usagef is a usage error with a message.
func usagef(format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), errUsage)
}

func trimUsage(msg string) string {
	const suffix = ": " + "usage"
	if len(msg) > len(suffix) && msg[len(msg)-len(suffix):] == suffix {
		return msg[:len(msg)-len(suffix)]
	}
	return msg
}

// parseSub parses a command's flags: errHelp after -h, a usage error
// after a bad flag (the flag package has said why).
func parseSub(fs *flag.FlagSet, args []string, synopsis, about string, e env) error {
	fs.SetOutput(e.err)
	if status, ok := cli.Parse(fs, args, synopsis, about); !ok {
		if status == 0 {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
