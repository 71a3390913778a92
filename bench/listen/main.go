// Command listen is the stress test of pgrst's event streams (GET
// /listen/<channel>, server-listen-enabled): on a throwaway cluster it
// starts a pgrst binary, opens many subscribers spread over channels,
// sends notifications at a fixed rate, and reports the delivery latency
// (NOTIFY sent → event read by the client, each payload carrying its send
// time), the events lost, and pgrst's memory per subscriber and CPU.
//
//	go run ./bench/listen -server bin/pgrst -subscribers 2000 -channels 100 -rate 1000 -duration 20s
//
// make stress-listen runs it with the defaults below. The clients run on
// the same machine: their own CPU use competes with pgrst's.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrst/pgrst/sql"
	"github.com/pgrst/pgrst/wire/pgtest"
)

func main() {
	server := flag.String("server", "bin/pgrst", "the pgrst binary")
	subscribers := flag.Int("subscribers", 2000, "concurrent subscribers")
	channels := flag.Int("channels", 100, "channels the subscribers are spread over (round robin)")
	rate := flag.Int("rate", 1000, "notifications per second, over all channels (round robin)")
	duration := flag.Duration("duration", 20*time.Second, "how long notifications are sent")
	buffer := flag.Int("buffer", 64, "server-listen-buffer")
	flag.Parse()
	if err := run(*server, *subscribers, *channels, *rate, *duration, *buffer); err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
}

func run(server string, subscribers, channels, rate int, duration time.Duration, buffer int) error {
	if channels < 1 || subscribers < 1 || rate < 1 {
		return errors.New("-subscribers, -channels and -rate must be positive")
	}
	cluster, err := pgtest.Start(pgtest.Options{Settings: map[string]string{
		"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "50",
	}})
	if err != nil {
		return err
	}
	defer cluster.Stop()
	ctx := context.Background()
	if err := cluster.Exec(ctx, sql.MustRead("pgrst_schema.sql")+`
create role listen_anon nologin;
create or replace function pgrst.listen_allowed(channel text) returns boolean language sql stable as 'select true';
`); err != nil {
		return err
	}

	port, err := pgtest.FreePort()
	if err != nil {
		return err
	}
	base := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(server)
	cmd.Env = append(os.Environ(),
		"PGRST_DB_URI="+cluster.URI("postgres", "postgres"),
		"PGRST_DB_SCHEMAS=public", "PGRST_DB_ANON_ROLE=listen_anon", "PGRST_DB_CONFIG=false",
		"PGRST_SERVER_HOST=127.0.0.1", "PGRST_SERVER_PORT="+strconv.Itoa(port),
		"PGRST_SERVER_LISTEN_ENABLED=true", "PGRST_SERVER_LISTEN_BUFFER="+strconv.Itoa(buffer),
		"PGRST_LOG_LEVEL=crit")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	pid := cmd.Process.Pid
	if err := waitReady("http://" + base + "/"); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	rssBase := rssKB(pid)

	// Subscribe, 32 at a time.
	var lat histogram
	var received, ended atomic.Int64
	conns := make([]net.Conn, subscribers)
	sem := make(chan struct{}, 32)
	errs := make(chan error, subscribers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range subscribers {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, r, err := subscribe(base, "ch"+strconv.Itoa(i%channels))
			<-sem
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			go readEvents(r, &lat, &received, &ended)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return fmt.Errorf("subscribe: %w", err)
	}
	connectTime := time.Since(start)
	time.Sleep(time.Second)
	rssSubscribed := rssKB(pid)

	// Send: every millisecond, the notifications now due, in one
	// statement list (one commit), each carrying its send time.
	sender, err := pgconn.Connect(ctx, cluster.URI("postgres", "postgres"))
	if err != nil {
		return err
	}
	defer sender.Close(ctx)
	cpu0 := cpuTicks(pid)
	var peakRSS int64
	sent, deliveriesWanted := 0, int64(0)
	perChannel := make([]int64, channels) // subscribers of each channel
	for i := range subscribers {
		perChannel[i%channels]++
	}
	var q strings.Builder
	tick := time.NewTicker(time.Millisecond)
	loadStart := time.Now()
	lastRSS := loadStart
	for now := range tick.C {
		el := now.Sub(loadStart)
		if el >= duration {
			break
		}
		due := int(el.Seconds()*float64(rate)) - sent
		if due <= 0 {
			continue
		}
		q.Reset()
		ts := strconv.FormatInt(time.Now().UnixNano(), 10)
		for j := 0; j < due; j++ {
			ch := (sent + j) % channels
			fmt.Fprintf(&q, "select pg_notify('ch%d', '%s');", ch, ts)
			deliveriesWanted += perChannel[ch]
		}
		if _, err := sender.Exec(ctx, q.String()).ReadAll(); err != nil {
			return err
		}
		sent += due
		if now.Sub(lastRSS) >= 200*time.Millisecond {
			peakRSS = max(peakRSS, rssKB(pid))
			lastRSS = now
		}
	}
	tick.Stop()
	loadTime := time.Since(loadStart)
	cpu := cpuTicks(pid) - cpu0
	// Let the last events arrive.
	for deadline := time.Now().Add(5 * time.Second); received.Load() < deliveriesWanted && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	peakRSS = max(peakRSS, rssKB(pid))

	fmt.Printf("pgrst event streams: %d subscribers on %d channels, %d notifications/s for %v (%d sent)\n",
		subscribers, channels, rate, duration, sent)
	fmt.Printf("  subscribed in        %v\n", connectTime.Round(time.Millisecond))
	fmt.Printf("  deliveries           %d of %d (%d streams ended by the server)\n", received.Load(), deliveriesWanted, ended.Load())
	fmt.Printf("  delivery rate        %.0f events/s\n", float64(received.Load())/loadTime.Seconds())
	fmt.Printf("  latency NOTIFY→client p50 %v  p90 %v  p99 %v  max %v\n",
		lat.quantile(0.50), lat.quantile(0.90), lat.quantile(0.99), lat.max())
	fmt.Printf("  pgrst RSS            %d KiB idle, %d KiB with the subscribers, %d KiB peak under load\n", rssBase, rssSubscribed, peakRSS)
	fmt.Printf("  RSS per subscriber   %.1f KiB idle, %.1f KiB under load\n",
		float64(rssSubscribed-rssBase)/float64(subscribers), float64(peakRSS-rssBase)/float64(subscribers))
	fmt.Printf("  pgrst CPU under load %.0f%% of one core\n", 100*float64(cpu)/100/loadTime.Seconds())
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return nil
}

// subscribe opens /listen/channel and reads the response's headers.
func subscribe(addr, channel string) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(c, "GET /listen/%s HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n", channel)
	r := bufio.NewReaderSize(c, 4096)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	status, err := r.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200") {
		c.Close()
		return nil, nil, fmt.Errorf("%s: %s", channel, strings.TrimSpace(status))
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	c.SetReadDeadline(time.Time{})
	return c, r, nil
}

// readEvents reads a stream's events until it ends; each data line is a
// send time in Unix nanoseconds.
func readEvents(r *bufio.Reader, lat *histogram, received, ended *atomic.Int64) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		if v, ok := strings.CutPrefix(string(line), "data: "); ok {
			ns, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				continue // the end event's reason
			}
			lat.add(time.Duration(time.Now().UnixNano() - ns))
			received.Add(1)
		} else if strings.HasPrefix(string(line), "event: end") {
			ended.Add(1)
		}
	}
}

// histogram counts latencies in 100 µs buckets up to 10 s.
type histogram struct {
	buckets [100000]atomic.Int64
	top     atomic.Int64
}

const bucket = 100 * time.Microsecond

func (h *histogram) add(d time.Duration) {
	i := min(int(d/bucket), len(h.buckets)-1)
	h.buckets[max(i, 0)].Add(1)
	for {
		t := h.top.Load()
		if int64(d) <= t || h.top.CompareAndSwap(t, int64(d)) {
			return
		}
	}
}

func (h *histogram) quantile(q float64) time.Duration {
	var n int64
	for i := range h.buckets {
		n += h.buckets[i].Load()
	}
	want := int64(q*float64(n) + 0.5)
	var c int64
	for i := range h.buckets {
		c += h.buckets[i].Load()
		if c >= want && c > 0 {
			return time.Duration(i+1) * bucket
		}
	}
	return 0
}

func (h *histogram) max() time.Duration { return time.Duration(h.top.Load()).Round(bucket) }

func waitReady(url string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
	}
	return errors.New("pgrst did not answer / within 30s")
}

// rssKB is the process's resident set size (VmRSS), in KiB.
func rssKB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTicks is the process's user and system CPU time, in clock ticks
// (1/100 s on Linux).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}
