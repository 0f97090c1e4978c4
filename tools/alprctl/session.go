package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"alprd/firmware/ctl"
)

// prompter asks questions on the terminal, opened on first use.
type prompter struct {
	e   env
	tty *os.File
	br  *bufio.Reader
}

func (p *prompter) open() error {
	if p.tty != nil {
		return nil
	}
	tty, err := p.e.tty()
	if err != nil {
		return err
	}
	p.tty, p.br = tty, bufio.NewReader(tty)
	return nil
}

func (p *prompter) close() {
	if p.tty != nil {
		p.tty.Close()
		p.tty = nil
	}
}

// line asks for one line of text (echoed).
func (p *prompter) line(prompt string) (string, error) {
	if err := p.open(); err != nil {
		return "", err
	}
	fmt.Fprint(p.tty, prompt)
	s, err := p.br.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", fmt.Errorf("read answer: %w", err)
	}
	return strings.TrimSpace(s), nil
}

// secret asks for a password without echo.
func (p *prompter) secret(prompt string) (string, error) {
	if err := p.open(); err != nil {
		return "", err
	}
	fmt.Fprint(p.tty, prompt)
	b, err := term.ReadPassword(int(p.tty.Fd()))
	fmt.Fprint(p.tty, "\r\n")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}

// readPasswordFile returns the first line of path.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("password file %s: first line is empty", path)
	}
	return pw, nil
}

// credentials completes the login from the flags and the terminal.
func credentials(g globals, p *prompter) (ctl.LoginArgs, error) {
	a := ctl.LoginArgs{User: g.user, Purpose: strings.TrimSpace(g.purpose), Case: strings.TrimSpace(g.caseNo)}
	var err error
	if a.User == "" {
		if a.User, err = p.line("User: "); err != nil {
			return a, err
		}
	}
	if a.Purpose == "" {
		if a.Purpose, err = p.line("Purpose of this access (recorded): "); err != nil {
			return a, err
		}
		if a.Purpose == "" {
			return a, errors.New("a purpose is required to access the unit's data")
		}
	}
	if g.passwordFile != "" {
		a.Password, err = readPasswordFile(g.passwordFile)
	} else {
		a.Password, err = p.secret("Password for " + a.User + ": ")
	}
	return a, err
}

// login asks what is missing, connects and logs in.
func login(ctx context.Context, g globals, e env) (*ctl.Client, ctl.Session, error) {
	p := &prompter{e: e}
	a, err := credentials(g, p)
	p.close()
	if err != nil {
		return nil, ctl.Session{}, err
	}
	c, err := ctl.Dial(ctx, g.socket)
	if err != nil {
		return nil, ctl.Session{}, err
	}
	s, err := c.Login(ctx, a)
	if err != nil {
		c.Close()
		return nil, ctl.Session{}, err
	}
	return c, s, nil
}
