// Command latproxy is a TCP proxy that adds network latency, for the pull
// benchmarks (bench/run.sh): netem needs privileges and would slow every
// loopback user on the machine, this delays only the connections made to
// it.
//
//	latproxy -upstream 127.0.0.1:8080 -rtt 50ms [-listen 127.0.0.1:0] [-addr-file F]
//
// Each direction of each connection is delayed by RTT/2 without limiting
// throughput, and new connections pay one RTT for their handshake, so an
// HTTP request on a kept-alive connection costs one extra RTT, as with
// `tc qdisc add dev lo root netem delay RTT/2`. TCP slow start is not
// modelled. The listening address is printed on stdout (and written to
// the -addr-file) once the proxy accepts connections; SIGINT or SIGTERM
// stops it.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	upstream := flag.String("upstream", "", "address to forward to (required)")
	rtt := flag.Duration("rtt", 0, "round-trip time to add")
	addrFile := flag.String("addr-file", "", "write the listening address to this file")
	flag.Parse()
	if *upstream == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "latproxy:", err)
		os.Exit(1)
	}
	addr := l.Addr().String()
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err == nil {
			err = os.Rename(tmp, *addrFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "latproxy:", err)
			os.Exit(1)
		}
	}
	fmt.Println(addr)
	p := &Proxy{Upstream: *upstream, RTT: *rtt}
	if err := p.Serve(ctx, l); err != nil {
		fmt.Fprintln(os.Stderr, "latproxy:", err)
		os.Exit(1)
	}
}
