package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards TCP connections to Upstream, delaying every chunk of
// data by half the round-trip time in each direction.
//
// Each direction is a delay line: a reader stamps each chunk with the
// time it is due and queues it, a writer sends chunks when they fall
// due. Reading never waits for the delay, so throughput is that of the
// link (up to MaxInFlight bytes per direction and RTT/2), and only
// latency is added, as netem's delay does.
//
// As over a real link, a new connection is usable one RTT after
// connect: the client's first bytes reach the upstream no sooner than
// RTT + RTT/2 after it connected (SYN, SYN-ACK, then the data).
type Proxy struct {
	// Upstream is the address connections are forwarded to.
	Upstream string
	// RTT is the round-trip time added to the link.
	RTT time.Duration
	// MaxInFlight bounds the bytes queued in one direction of one
	// connection; the reader stops reading (and TCP pushes back) when it
	// is reached. 0 means 32 MiB.
	MaxInFlight int

	wg sync.WaitGroup
}

// chunkSize is the largest read; loopback segments are up to 64 KiB.
const chunkSize = 64 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Serve accepts connections on l until ctx ends or l fails, then waits
// for the connections it forwards to finish.
func (p *Proxy) Serve(ctx context.Context, l net.Listener) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer p.wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.forward(ctx, c.(*net.TCPConn))
		}()
	}
}

func (p *Proxy) forward(ctx context.Context, client *net.TCPConn) {
	defer client.Close()
	accepted := time.Now()
	var d net.Dialer
	uc, err := d.DialContext(ctx, "tcp", p.Upstream)
	if err != nil {
		return
	}
	up := uc.(*net.TCPConn)
	defer up.Close()
	for _, c := range []*net.TCPConn{client, up} {
		c.SetNoDelay(true)
	}
	stop := context.AfterFunc(ctx, func() { client.Close(); up.Close() })
	defer stop()
	oneWay := p.RTT / 2
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// The handshake costs the client one RTT before its data leaves.
		p.pipe(up, client, oneWay, accepted.Add(p.RTT))
	}()
	go func() {
		defer wg.Done()
		p.pipe(client, up, oneWay, time.Time{})
	}()
	wg.Wait()
}

// chunk is data read at some moment, to be written at due; data nil
// marks the end of the stream (or a read error, when err is set).
type chunk struct {
	buf  *[]byte
	data []byte
	due  time.Time
	err  error
}

// pipe copies src to dst, delaying each chunk by delay and sending
// nothing before notBefore+delay. At the end of src it half-closes dst
// (after the delay, as a FIN would travel); on an error it resets both.
func (p *Proxy) pipe(dst, src *net.TCPConn, delay time.Duration, notBefore time.Time) {
	maxBytes := p.MaxInFlight
	if maxBytes <= 0 {
		maxBytes = 32 << 20
	}
	q := make(chan chunk, maxBytes/chunkSize+1)
	go func() {
		defer close(q)
		for {
			bp := chunkPool.Get().(*[]byte)
			n, err := src.Read(*bp)
			now := time.Now()
			if now.Before(notBefore) {
				now = notBefore
			}
			due := now.Add(delay)
			if n > 0 {
				q <- chunk{buf: bp, data: (*bp)[:n], due: due}
			} else {
				chunkPool.Put(bp)
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				q <- chunk{due: due, err: err}
				return
			}
		}
	}()
	failed := false
	for c := range q {
		if failed {
			if c.buf != nil {
				chunkPool.Put(c.buf)
			}
			continue
		}
		if w := time.Until(c.due); w > 0 {
			time.Sleep(w)
		}
		if c.data == nil {
			if c.err != nil {
				failed = true
				abort(dst, src)
				continue
			}
			dst.CloseWrite()
			continue
		}
		_, err := dst.Write(c.data)
		chunkPool.Put(c.buf)
		if err != nil {
			failed = true
			abort(dst, src)
		}
	}
}

// abort resets both connections, so that the other direction ends too.
func abort(a, b *net.TCPConn) {
	a.SetLinger(0)
	b.SetLinger(0)
	a.Close()
	b.Close()
}
