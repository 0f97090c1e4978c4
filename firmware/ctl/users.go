package ctl

import (
	"bufio"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultIterations is the PBKDF2-SHA256 iteration count HashPassword uses
// by default (OWASP's figure for PBKDF2-HMAC-SHA256).
const DefaultIterations = 600_000

const (
	hashScheme = "pbkdf2-sha256"
	saltLen    = 16
	keyLen     = 32
	maxIter    = 100_000_000 // a line asking for more is refused: it would stall logins
)

// User is one line of the users file.
type User struct {
	Name       string
	Role       string
	Iterations int
	Salt       []byte
	Hash       []byte
}

// Users is a parsed users file, by name.
type Users map[string]User

// HashPassword returns the credential field of a users file line for
// password: "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" with a random
// 16-byte salt. iterations 0 means DefaultIterations.
func HashPassword(password string, iterations int) (string, error) {
	if iterations == 0 {
		iterations = DefaultIterations
	}
	if iterations < 1 || iterations > maxIter {
		return "", fmt.Errorf("ctl: hash password: %d iterations, want 1 to %d", iterations, maxIter)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	h, err := pbkdf2.Key(sha256.New, password, salt, iterations, keyLen)
	if err != nil {
		return "", fmt.Errorf("ctl: hash password: %w", err)
	}
	return fmt.Sprintf("%s$%d$%s$%s", hashScheme, iterations,
		base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(h)), nil
}

// UserLine returns a users file line for name, role and password.
func UserLine(name, role, password string, iterations int) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if !slices.Contains(Roles, role) {
		return "", fmt.Errorf("ctl: user %q: role %q, want one of %s", name, role, strings.Join(Roles, ", "))
	}
	h, err := HashPassword(password, iterations)
	if err != nil {
		return "", err
	}
	return name + ":" + role + ":" + h, nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("ctl: user name is empty")
	}
	for _, r := range name {
		if r <= ' ' || r == ':' || r == '#' || r == 0x7f {
			return fmt.Errorf("ctl: user name %q: no spaces, control characters, ':' or '#'", name)
		}
	}
	return nil
}

// ParseUser parses one users file line (not a comment).
func ParseUser(line string) (User, error) {
	f := strings.Split(line, ":")
	if len(f) != 3 {
		return User{}, errors.New("want name:role:pbkdf2-sha256$iterations$salt$hash")
	}
	u := User{Name: f[0], Role: f[1]}
	if err := checkName(u.Name); err != nil {
		return User{}, err
	}
	if !slices.Contains(Roles, u.Role) {
		return User{}, fmt.Errorf("role %q, want one of %s", u.Role, strings.Join(Roles, ", "))
	}
	h := strings.Split(f[2], "$")
	if len(h) != 4 || h[0] != hashScheme {
		return User{}, fmt.Errorf("credential: want %s$iterations$salt$hash", hashScheme)
	}
	n, err := strconv.Atoi(h[1])
	if err != nil || n < 1 || n > maxIter {
		return User{}, fmt.Errorf("iterations %q, want 1 to %d", h[1], maxIter)
	}
	u.Iterations = n
	if u.Salt, err = decodeB64(h[2]); err != nil || len(u.Salt) < 8 {
		return User{}, fmt.Errorf("salt: want base64 of at least 8 bytes")
	}
	if u.Hash, err = decodeB64(h[3]); err != nil || len(u.Hash) < 16 || len(u.Hash) > 64 {
		return User{}, fmt.Errorf("hash: want base64 of 16 to 64 bytes")
	}
	return u, nil
}

// decodeB64 reads standard base64, padded or not.
func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// ParseUsers reads a users file: one user per line, blank lines and lines
// starting with # ignored. Bad lines are skipped, each reported in the
// joined error (naming the line) so that one bad line does not lock every
// user out; the first of duplicate names counts.
func ParseUsers(r io.Reader) (Users, error) {
	us := Users{}
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		u, err := ParseUser(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("ctl: users line %d: %w", n, err))
			continue
		}
		if _, dup := us[u.Name]; dup {
			errs = append(errs, fmt.Errorf("ctl: users line %d: user %q again, ignored", n, u.Name))
			continue
		}
		us[u.Name] = u
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("ctl: users: %w", err))
	}
	return us, errors.Join(errs...)
}

// Check reports whether password is u's. It takes the same time for a wrong
// password as for the right one.
func (u User) Check(password string) bool {
	h, err := pbkdf2.Key(sha256.New, password, u.Salt, u.Iterations, len(u.Hash))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(h, u.Hash) == 1
}

// decoy is checked against the password of an unknown user, so that a
// wrong name costs as long as a wrong password.
var decoy = User{Iterations: DefaultIterations, Salt: make([]byte, saltLen), Hash: make([]byte, keyLen)}

// usersFile is the users file, re-read when its size, time or inode change.
type usersFile struct {
	path string

	mu    sync.Mutex
	stamp fileStamp
	users Users
	err   error // of the last parse
}

type fileStamp struct {
	size int64
	mod  time.Time
	sys  any
}

// load returns the current users. changed is true when the file was
// (re)read, so that parse errors are logged once per change.
func (f *usersFile) load() (us Users, parseErr error, changed bool, err error) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("ctl: users file: %w", err)
	}
	st := fileStamp{fi.Size(), fi.ModTime(), inode(fi)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.users != nil && st == f.stamp {
		return f.users, f.err, false, nil
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("ctl: users file: %w", err)
	}
	defer fh.Close()
	us, perr := ParseUsers(fh)
	f.stamp, f.users, f.err = st, us, perr
	return us, perr, true, nil
}
