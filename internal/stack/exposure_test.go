package stack_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/buildtune/buildtune/internal/regproxy"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/testenv"
)

// listener is one LISTEN entry of /proc/net/tcp or tcp6.
type listener struct {
	ip    net.IP
	port  int
	inode string
}

// tcpListeners reads the machine's listening TCP sockets.
func tcpListeners(t *testing.T) []listener {
	t.Helper()
	var out []listener
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			t.Skipf("no %s: %v", file, err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A = LISTEN
				continue
			}
			hostHex, portHex, _ := strings.Cut(fields[1], ":")
			raw, err := hex.DecodeString(hostHex)
			if err != nil {
				t.Fatalf("%s: address %q: %v", file, fields[1], err)
			}
			// The kernel writes each 32-bit word in host (little-endian) order.
			ip := make(net.IP, len(raw))
			for i := 0; i+4 <= len(raw); i += 4 {
				ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
			}
			port, _ := strconv.ParseInt(portHex, 16, 32)
			out = append(out, listener{ip: ip, port: int(port), inode: fields[9]})
		}
		f.Close()
	}
	return out
}

// socketInodes returns the socket inodes process pid holds open.
func socketInodes(t *testing.T, pid int) map[string]bool {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") {
			out[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	return out
}

// checkLoopbackAddr checks that a host:port (or tcp://host:port) is bound
// to a loopback IP, and that the kernel has no non-loopback LISTEN entry
// on its port.
func checkLoopbackAddr(t *testing.T, what, addr string, ls []listener) {
	t.Helper()
	hostport := strings.TrimPrefix(addr, "tcp://")
	host, portS, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Errorf("%s: address %q: %v", what, addr, err)
		return
	}
	if host != "127.0.0.1" && host != "::1" {
		t.Errorf("%s listens on %s, want 127.0.0.1 or ::1", what, addr)
	}
	port, _ := strconv.Atoi(portS)
	found := false
	for _, l := range ls {
		if l.port != port {
			continue
		}
		found = true
		if !l.ip.IsLoopback() {
			t.Errorf("%s: the kernel lists a LISTEN socket on %s port %d, not loopback", what, l.ip, port)
		}
	}
	if !found {
		t.Errorf("%s: no LISTEN socket on port %d in /proc/net/tcp", what, port)
	}
}

// checkProcessLoopback checks that every TCP socket process pid listens
// on is bound to loopback.
func checkProcessLoopback(t *testing.T, what string, pid int, ls []listener) {
	t.Helper()
	inodes := socketInodes(t, pid)
	for _, l := range ls {
		if inodes[l.inode] && !l.ip.IsLoopback() {
			t.Errorf("%s (pid %d) listens on %s port %d, not loopback", what, pid, l.ip, l.port)
		}
	}
}

// TestLoopbackListeners: every server buildtune starts listens on loopback
// only: the embedded registry, Debian's docker-registry, the registry
// proxy, the buildkitd of a private stack (a unix socket, no TCP) and a
// buildkitd on TCP (with TLS). Each bound address is checked, and so is
// the kernel's list of listening sockets.
func TestLoopbackListeners(t *testing.T) {
	ctx := context.Background()
	dir := testenv.Dir(t)
	type server struct{ what, addr string }
	var servers []server

	emb, err := stack.StartEmbedded(filepath.Join(dir, "embedded"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Close() })
	servers = append(servers, server{"embedded registry", emb.Addr})

	px, err := regproxy.New(emb.Addr, regproxy.Settings{Latency: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The address buildtune gives the proxy, as fullbuild and sweep do.
	pxAddr, err := px.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	servers = append(servers, server{"registry proxy", pxAddr})

	if _, err := os.Stat(stack.DistributionBinary); err == nil {
		dist, err := stack.StartDistribution(ctx, filepath.Join(dir, "distribution"), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dist.Close() })
		servers = append(servers, server{"docker-registry", dist.Addr})
	} else if os.Getenv("CI") != "" {
		t.Fatalf("docker-registry missing in CI: %v", err)
	}

	var pids []int
	bin := filepath.Join(testenv.Root(t), "bin", "buildkitd")
	if err := stack.CheckSetup(bin); err == nil {
		s, err := stack.Start(ctx, stack.Config{Dir: filepath.Join(dir, "s"), Buildkitd: bin})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Stop() })
		servers = append(servers, server{"private stack registry", s.Registry.Addr})
		for _, d := range s.Daemons {
			if !strings.HasPrefix(d.Addr, "unix://") {
				t.Errorf("private buildkitd listens on %s, want a unix socket", d.Addr)
			}
			pids = append(pids, d.Pid)
		}
		files, err := stack.GenerateTLS(filepath.Join(dir, "tls"))
		if err != nil {
			t.Fatal(err)
		}
		td, err := stack.StartTLSDaemon(ctx, stack.DaemonConfig{Dir: filepath.Join(dir, "t"), Binary: bin}, files)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { td.Stop() })
		servers = append(servers, server{"buildkitd on tcp", td.Addr})
		pids = append(pids, td.Pid)
	} else if os.Getenv("CI") != "" {
		t.Fatalf("buildkitd missing in CI: %v", err)
	} else {
		t.Logf("buildkitd not checked: %v", err)
	}

	ls := tcpListeners(t)
	for _, s := range servers {
		checkLoopbackAddr(t, s.what, s.addr, ls)
	}
	for _, pid := range pids {
		checkProcessLoopback(t, "buildkitd", pid, ls)
	}
	// This process serves the embedded registries and the proxy.
	checkProcessLoopback(t, "the test process", os.Getpid(), ls)
}
