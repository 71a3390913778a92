package pgtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// serverBinaries are the programs a cluster needs, all from one directory.
var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

// installHint says how to get PostgreSQL's server binaries on the usual
// systems; FindBin's error and scripts/ensure-postgres.sh say the same.
const installHint = `install PostgreSQL's server binaries:
  Debian/Ubuntu: apt-get install -y postgresql
  Fedora:        dnf install -y postgresql-server
  macOS:         brew install postgresql
or set PG_BIN to the directory that holds initdb, pg_ctl and postgres`

// FindBin returns the directory holding PostgreSQL's server binaries
// (initdb, pg_ctl and postgres). It looks, in order, at $PG_BIN when set (an
// explicit choice beats whatever PATH happens to hold), the directory of
// initdb found on PATH (symbolic links resolved, so Debian's
// /usr/local/bin links lead to /usr/lib/postgresql/N/bin), then
// /usr/lib/postgresql/*/bin (highest version first) and the usual
// Homebrew and PGDG locations. The error says what to install.
func FindBin() (dir string, err error) {
	var tried []string
	try := func(d string) bool {
		if d == "" {
			return false
		}
		tried = append(tried, d)
		return hasServerBinaries(d)
	}
	if d := os.Getenv("PG_BIN"); try(d) {
		return d, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && try(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if try(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",         // Debian, Ubuntu
		"/usr/pgsql-*/bin",                  // PGDG packages on Fedora, RHEL
		"/opt/homebrew/opt/postgresql*/bin", // Homebrew on Apple silicon
		"/usr/local/opt/postgresql*/bin",    // Homebrew on Intel
	} {
		for _, d := range byVersionDesc(pattern) {
			if try(d) {
				return d, nil
			}
		}
	}
	where := "PATH"
	if len(tried) > 0 {
		where = "PATH and " + strings.Join(tried, ", ")
	}
	return "", errors.New("pgtest: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in " + where + "; " + installHint)
}

func hasServerBinaries(dir string) bool {
	for _, name := range serverBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// byVersionDesc expands a glob whose matches differ by a version number and
// orders them highest version first (so 16 comes before 9.6).
func byVersionDesc(pattern string) []string {
	matches, _ := filepath.Glob(pattern)
	version := func(p string) []int {
		var v []int
		for _, f := range strings.FieldsFunc(p, func(r rune) bool { return r < '0' || r > '9' }) {
			n, _ := strconv.Atoi(f)
			v = append(v, n)
		}
		return v
	}
	sort.SliceStable(matches, func(i, j int) bool {
		a, b := version(matches[i]), version(matches[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) > len(b)
	})
	return matches
}
