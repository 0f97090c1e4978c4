// Package cli holds what the project's command-line tools share: parsing
// their flags with a usage text, and reporting a usage error with exit status
// 2.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Parse gives fs a usage text (the synopsis line, a blank line, about, a
// blank line, the flags) and parses args. ok is true when the caller goes on;
// otherwise status is the exit status: 0 after -h, 2 after a bad flag (fs
// has printed why).
func Parse(fs *flag.FlagSet, args []string, synopsis, about string) (status int, ok bool) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\n%s\n\n", synopsis, about)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// Usagef writes "name: message" and a pointer to -h to w and returns 2, the
// exit status of a usage error.
func Usagef(w io.Writer, name, format string, a ...any) int {
	fmt.Fprintf(w, "%s: %s\n", name, fmt.Sprintf(format, a...))
	fmt.Fprintf(w, "run '%s -h' for usage\n", name)
	return 2
}
