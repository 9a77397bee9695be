package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// echoServer echoes every connection until its client half-closes, then
// half-closes too.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	return l.Addr().String()
}

// startProxy runs a Proxy in front of upstream until the test ends.
func startProxy(t *testing.T, upstream string, rtt time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	p := &Proxy{Upstream: upstream, RTT: rtt}
	go func() { done <- p.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

func roundTrip(t *testing.T, c net.Conn, msg []byte) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo %q, want %q", got, msg)
	}
	return time.Since(start)
}

func TestProxyAddsRTT(t *testing.T) {
	const rtt = 40 * time.Millisecond
	// Timers on a loaded machine fire late, never early.
	const slack = 35 * time.Millisecond
	tests := []struct {
		name string
		rtt  time.Duration
	}{
		{"no latency", 0},
		{"40ms", rtt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startProxy(t, echoServer(t), tt.rtt)
			start := time.Now()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The first exchange pays for the handshake too.
			roundTrip(t, c, []byte("hello"))
			if got := time.Since(start); got < 2*tt.rtt || got > 2*tt.rtt+slack {
				t.Errorf("first exchange after connect took %v, want 2 x %v (+%v)", got, tt.rtt, slack)
			}
			for i := range 3 {
				if got := roundTrip(t, c, []byte{byte(i)}); got < tt.rtt || got > tt.rtt+slack {
					t.Errorf("round trip %d took %v, want %v (+%v)", i, got, tt.rtt, slack)
				}
			}
		})
	}
}

// TestProxyThroughput sends more data than one RTT's worth of reads:
// a proxy that slept per read would need seconds, a delay line one RTT
// plus the copying. The data must arrive intact, and the half-close must
// travel both ways.
func TestProxyThroughput(t *testing.T) {
	const rtt = 40 * time.Millisecond
	addr := startProxy(t, echoServer(t), rtt)
	data := make([]byte, 32<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		werr <- err
	}()
	h := sha256.New()
	n, err := io.Copy(h, c) // until the echo server's half-close arrives
	if err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if n != int64(len(data)) || !bytes.Equal(h.Sum(nil), sha256Sum(data)) {
		t.Fatalf("echoed %d bytes with a different digest; sent %d", n, len(data))
	}
	// 512 reads of 64 KiB, each delayed 20 ms in turn, would take 10 s.
	if elapsed > 3*time.Second {
		t.Errorf("32 MiB through a %v proxy took %v: throughput is bounded by the delay", rtt, elapsed)
	}
	t.Logf("32 MiB echoed in %v", elapsed)
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// TestProxyUpstreamDown closes the client's connection when the
// upstream refuses it.
func TestProxyUpstreamDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	c, err := net.Dial("tcp", startProxy(t, dead, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a proxy without upstream", n)
	}
}
