package cli

import (
	"flag"
	"fmt"
	"io"
)

// Command is one subcommand of a tool: Setup defines its flags on fs and
// returns the function that runs it once they are parsed.
type Command struct {
	Name, Synopsis, About string
	Setup                 func(fs *flag.FlagSet) func(c *Ctx) int
}

// Ctx is a subcommand's invocation.
type Ctx struct {
	Tool, Name     string
	Args           []string // what the flags left
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Usage reports a usage error of the subcommand and returns 2.
func (c *Ctx) Usage(format string, a ...any) int {
	return Usagef(c.Stderr, c.Tool+" "+c.Name, format, a...)
}

// Fail reports err and returns 1, the exit status of a failure.
func (c *Ctx) Fail(err error) int {
	fmt.Fprintf(c.Stderr, "%s %s: %v\n", c.Tool, c.Name, err)
	return 1
}

// Dispatch runs the subcommand named by args[0] and returns the exit status.
// Without a subcommand it prints the list (about is the tool's description)
// and returns 2; with -h, help or --help it prints it and returns 0.
func Dispatch(tool, about string, cmds []Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprintf(w, "usage: %s COMMAND [flags]\n\n%s\n\ncommands:\n", tool, about)
		width := 0
		for _, c := range cmds {
			width = max(width, len(c.Name))
		}
		for _, c := range cmds {
			fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name, c.About)
		}
		fmt.Fprintf(w, "\nrun '%s COMMAND -h' for a command's flags\n", tool)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, cmd := range cmds {
		if cmd.Name != args[0] {
			continue
		}
		fs := flag.NewFlagSet(tool+" "+cmd.Name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		run := cmd.Setup(fs)
		if status, ok := Parse(fs, args[1:], cmd.Synopsis, cmd.About); !ok {
			return status
		}
		return run(&Ctx{Tool: tool, Name: cmd.Name, Args: fs.Args(), Stdin: stdin, Stdout: stdout, Stderr: stderr})
	}
	return Usagef(stderr, tool, "unknown command %q", args[0])
}
