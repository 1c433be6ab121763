// Command forward relays TCP connections between the host's network namespace
// and the test ground's, so that the same loopback address works on both
// sides. It runs in the host namespace and reaches the other one by moving a
// dedicated OS thread into it (setns) for each socket it creates there.
//
//	forward --netns /proc/PID/ns/net --out 127.0.0.1:6443 --in 127.0.0.1:7233
//
// --out LISTEN[=DIAL]: listen in the host namespace, dial inside the ground.
// --in LISTEN[=DIAL]: listen inside the ground, dial in the host namespace.
// It prints "ready" once every listener is open, then serves until killed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

type rule struct{ listen, dial string }

type rules []rule

func (r *rules) String() string { return fmt.Sprint(*r) }

func (r *rules) Set(v string) error {
	listen, dial, found := strings.Cut(v, "=")
	if !found {
		dial = listen
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return fmt.Errorf("listen address %q: %w", listen, err)
	}
	if _, _, err := net.SplitHostPort(dial); err != nil {
		return fmt.Errorf("dial address %q: %w", dial, err)
	}
	*r = append(*r, rule{listen, dial})
	return nil
}

// inNetns runs fn on a fresh OS thread that has joined the namespace at path.
// The goroutine never unlocks its thread, so Go discards the thread when fn
// returns and no other goroutine ever runs in the wrong namespace.
func inNetns(path string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- fmt.Errorf("open %s: %w", path, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("setns %s: %w", path, err)
			return
		}
		done <- fn()
	}()
	return <-done
}

const dialTimeout = 5 * time.Second

func relay(client net.Conn, dial func() (net.Conn, error)) {
	defer client.Close()
	server, err := dial()
	if err != nil {
		fmt.Fprintf(os.Stderr, "forward: %v\n", err)
		// Reset rather than close, so the client sees a refused connection
		// (as without a forwarder) instead of an empty answer.
		if tcp, ok := client.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	pipe := func(to, from net.Conn) {
		_, _ = io.Copy(to, from)
		if tcp, ok := to.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
}

func serve(l net.Listener, dial func() (net.Conn, error)) {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			fmt.Fprintf(os.Stderr, "forward: accept on %s: %v\n", l.Addr(), err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go relay(c, dial)
	}
}

func main() {
	var out, in rules
	netns := flag.String("netns", "", "the test ground's network namespace, e.g. /proc/PID/ns/net")
	flag.Var(&out, "out", "LISTEN[=DIAL]: listen here, dial inside the namespace (repeatable)")
	flag.Var(&in, "in", "LISTEN[=DIAL]: listen inside the namespace, dial here (repeatable)")
	flag.Parse()
	if *netns == "" || len(out)+len(in) == 0 {
		fmt.Fprintln(os.Stderr, "usage: forward --netns PATH [--out LISTEN[=DIAL]]... [--in LISTEN[=DIAL]]...")
		os.Exit(2)
	}

	for _, r := range out {
		l, err := net.Listen("tcp", r.listen)
		if err != nil {
			fmt.Fprintf(os.Stderr, "forward: listen on %s in the host namespace: %v\n", r.listen, err)
			os.Exit(1)
		}
		target := r.dial
		go serve(l, func() (c net.Conn, err error) {
			err = inNetns(*netns, func() (e error) {
				c, e = net.DialTimeout("tcp", target, dialTimeout)
				return e
			})
			return c, err
		})
	}
	for _, r := range in {
		var l net.Listener
		err := inNetns(*netns, func() (e error) {
			l, e = net.Listen("tcp", r.listen)
			return e
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "forward: listen on %s in %s: %v\n", r.listen, *netns, err)
			os.Exit(1)
		}
		target := r.dial
		go serve(l, func() (net.Conn, error) { return net.DialTimeout("tcp", target, dialTimeout) })
	}
	fmt.Println("ready")
	select {}
}
