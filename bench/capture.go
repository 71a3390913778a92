package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The exact statements a server sends for a request are read from the
// database's own log: for the capture only, the bench cluster logs every
// statement (log_statement = all) in jsonlog format, with its parameters.
// Nothing in the server under test changes, so this works for any server.

// stmt is one executed statement with its parameters (nil: NULL).
type stmt struct {
	SQL    string    `json:"sql"`
	Params []*string `json:"params"`
}

// logSettings are the bench cluster's logging settings: jsonlog through
// the logging collector into data/log/bench.json; log_statement stays off
// except while capturing.
var logSettings = map[string]string{
	"logging_collector": "on",
	"log_destination":   "jsonlog",
	"log_directory":     "log",
	"log_filename":      "bench.log",
	"log_rotation_age":  "0",
	"log_rotation_size": "0",
	"log_file_mode":     "0644",
}

const markerSQL = "select 'pgrst-bench-capture-marker'"

type capturer struct {
	admin   *pgconn.PgConn // superuser
	logPath string
	user    string // the server's login role: its statements are the ones captured
}

func newCapturer(ctx context.Context, uri, dataDir, user string) (*capturer, error) {
	conn, err := pgconn.Connect(ctx, uri)
	if err != nil {
		return nil, err
	}
	return &capturer{admin: conn, logPath: filepath.Join(dataDir, "log", "bench.json"), user: user}, nil
}

func (c *capturer) exec(ctx context.Context, sql string) error {
	_, err := c.admin.Exec(ctx, sql).ReadAll()
	return err
}

// capture turns statement logging on, calls send n times (each sends one
// request and waits for its answer), turns logging off and returns the
// statements of each request in order.
func (c *capturer) capture(ctx context.Context, n int, send func(i int) error) ([][]stmt, error) {
	if err := c.setLogging(ctx, "all"); err != nil {
		return nil, err
	}
	start := fileSize(c.logPath)
	var sendErr error
	for i := 0; i < n && sendErr == nil; i++ {
		sendErr = send(i)
		if err := c.exec(ctx, markerSQL); err != nil {
			return nil, err
		}
	}
	if err := c.setLogging(ctx, "none"); err != nil {
		return nil, err
	}
	if sendErr != nil {
		return nil, sendErr
	}
	// The collector writes asynchronously: wait for the last marker.
	var out [][]stmt
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		out, err = c.read(start)
		if err != nil {
			return nil, err
		}
		if len(out) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(out) < n {
		return nil, fmt.Errorf("capture: found %d of %d requests in %s", len(out), n, c.logPath)
	}
	return out[:n], nil
}

func (c *capturer) setLogging(ctx context.Context, level string) error {
	if err := c.exec(ctx, "alter system set log_statement = '"+level+"'"); err != nil {
		return err
	}
	if err := c.exec(ctx, "select pg_reload_conf()"); err != nil {
		return err
	}
	// Backends apply the reload between commands, asynchronously.
	time.Sleep(300 * time.Millisecond)
	return nil
}

type logEntry struct {
	User    string `json:"user"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// read parses the log from offset: the executed statements of the server's
// role, one group per marker.
func (c *capturer) read(offset int64) ([][]stmt, error) {
	f, err := os.Open(c.logPath)
	if err != nil {
		return nil, fmt.Errorf("capture: %w (is the bench cluster logging in jsonlog?)", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	var groups [][]stmt
	var cur []stmt
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e logEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		switch {
		case strings.Contains(e.Message, markerSQL):
			groups = append(groups, cur)
			cur = nil
		case e.User == c.user && strings.HasPrefix(e.Message, "execute "):
			_, sql, ok := strings.Cut(e.Message, ": ")
			if !ok {
				continue
			}
			params, err := parseParams(e.Detail)
			if err != nil {
				return nil, fmt.Errorf("capture: %w in %q", err, e.Detail)
			}
			cur = append(cur, stmt{SQL: sql, Params: params})
		case e.User == c.user && strings.HasPrefix(e.Message, "statement: "):
			// Simple protocol (another server may use it): no parameters.
			cur = append(cur, stmt{SQL: strings.TrimPrefix(e.Message, "statement: ")})
		}
	}
	return groups, sc.Err()
}

// parseParams reads "parameters: $1 = 'a', $2 = NULL" (quotes doubled in
// the values).
func parseParams(detail string) ([]*string, error) {
	s, ok := strings.CutPrefix(detail, "parameters: ")
	if !ok {
		return nil, nil
	}
	var out []*string
	for n := 1; s != ""; n++ {
		prefix := fmt.Sprintf("$%d = ", n)
		if !strings.HasPrefix(s, prefix) {
			return nil, fmt.Errorf("parameter $%d expected", n)
		}
		s = s[len(prefix):]
		if rest, ok := strings.CutPrefix(s, "NULL"); ok {
			out = append(out, nil)
			s = rest
		} else {
			if !strings.HasPrefix(s, "'") {
				return nil, fmt.Errorf("quote expected at $%d", n)
			}
			var b strings.Builder
			i := 1
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated $%d", n)
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					break
				}
				b.WriteByte(s[i])
				i++
			}
			v := b.String()
			out = append(out, &v)
			s = s[i+1:]
		}
		s = strings.TrimPrefix(s, ", ")
	}
	return out, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
