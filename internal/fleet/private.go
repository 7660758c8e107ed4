package fleet

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/buildtune/buildtune/internal/stack"
)

// privatePrefix names the temporary folders of private stacks.
const privatePrefix = "buildtune-"

// ownerFile, in a private stack's folder, names the buildtune process that
// made it: "PID START PIDNS" (START as stack.ProcessStart gives it, PIDNS
// the pid namespace the pid means something in: a container sharing /tmp
// sees other pids).
const ownerFile = "owner"

// pidNamespace is this process's pid namespace ("pid:[4026531836]"), or
// "-" when it cannot be read.
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil || ns == "" || strings.ContainsAny(ns, " \t\n") {
		return "-"
	}
	return ns
}

// newPrivateDir makes the folder of a private stack in tmp and writes its
// owner. Folders that earlier private stacks left (their buildtune killed,
// or stopped by a second Ctrl-C, before it removed its own: about 100 MB
// each, with BuildKit's mounts) are removed first.
func newPrivateDir(tmp string) (string, error) {
	removeStalePrivate(tmp)
	d, err := os.MkdirTemp(tmp, privatePrefix)
	if err != nil {
		return "", err
	}
	pid := os.Getpid()
	owner := fmt.Sprintf("%d %s %s\n", pid, stack.ProcessStart(pid), pidNamespace())
	if err := os.WriteFile(filepath.Join(d, ownerFile), []byte(owner), 0o644); err != nil {
		os.RemoveAll(d)
		return "", err
	}
	return d, nil
}

// removeStalePrivate removes the private stack folders in tmp whose owner
// (ownerFile) no longer runs and that no process still uses (a daemon
// that has not exited yet). Mounts left in one (a killed buildkitd's
// overlays) are detached first; a folder with a mount that stays is left
// alone, since removing files through it would reach outside the folder.
// A folder without an owner file (another tool's, one being made, or an
// older buildtune's) is never touched. Best effort: nothing fails here.
func removeStalePrivate(tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, privatePrefix+"*"))
	ns := pidNamespace()
	var stale []string
	for _, d := range dirs {
		if fi, err := os.Lstat(d); err != nil || !fi.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) != 3 || f[2] != ns || ns == "-" {
			continue // not an owner file, or its pid is another namespace's
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil || pid < 1 || stack.ProcessStart(pid) == f[1] {
			continue // not an owner file, or its owner runs
		}
		stale = append(stale, d)
	}
	if len(stale) == 0 {
		return
	}
	busy := usedFolders(stale)
	for _, d := range stale {
		if busy[d] {
			continue
		}
		mounts := mountsUnder(d)
		for _, m := range mounts {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
		if len(mounts) > 0 && len(mountsUnder(d)) > 0 {
			continue
		}
		os.RemoveAll(d)
	}
}

// usedFolders returns those of dirs that a running process has as its
// working folder or names in its command line (a buildkitd with its
// --config there, still shutting down).
func usedFolders(dirs []string) map[string]bool {
	used := map[string]bool{}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", p.Name(), "cwd"))
		for _, d := range dirs {
			if within(d, cwd) || strings.Contains(string(cmdline), d+string(filepath.Separator)) {
				used[d] = true
			}
		}
	}
	return used
}

// mountsUnder returns the mount points inside dir (from
// /proc/self/mountinfo), the deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		// Field 5 is the mount point, with spaces and the like octal-escaped.
		mp := unescapeMount(fields[4])
		if mp != dir && within(dir, mp) {
			out = append(out, mp)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
