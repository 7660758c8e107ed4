package fleet

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrInUse marks a folder locked by another process (LockFolder).
var ErrInUse = errors.New("in use by another buildtune process")

// InUseError says which process holds a folder's lock: PID is 0 when it
// cannot be told (no /proc/locks, or another PID namespace).
type InUseError struct {
	Dir string
	PID int
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%v (pid %d)", ErrInUse, e.PID)
	}
	return ErrInUse.Error()
}

// Is makes errors.Is(err, ErrInUse) true for every *InUseError.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// LockFolder takes an exclusive lock on the folder dir itself (flock(2) on
// the folder, not a lock file in it), so that it writes nothing in dir and a
// refused caller leaves it as it was. The lock is held until release is
// called, or the process ends in any way: the kernel drops it with the last
// descriptor, so a killed holder leaves no stale lock. The descriptor is
// close-on-exec, so children (a private buildkitd) do not keep it. A folder
// locked by another process is *InUseError (errors.Is ErrInUse) naming its
// pid when /proc/locks tells it; any other failure (a file system without
// flock) is returned as it is, for the caller to decide.
func LockFolder(dir string) (release func(), err error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer syscall.Close(fd)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Dir: dir, PID: lockHolder(fd)}
		}
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	released := false
	return func() {
		if !released {
			released = true
			syscall.Close(fd) // drops the lock
		}
	}, nil
}

// lockHolder is the pid of the process holding a flock on the file open as
// fd, read from /proc/locks (its device and inode); 0 when not found.
func lockHolder(fd int) int {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return 0
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	major, minor := devMajor(uint64(st.Dev)), devMinor(uint64(st.Dev))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 9382 fe:00:10199160 0 EOF"; a waiter's
		// line has "->" after the number.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		id := strings.Split(fields[5], ":")
		if len(id) != 3 {
			continue
		}
		ma, err1 := strconv.ParseUint(id[0], 16, 32)
		mi, err2 := strconv.ParseUint(id[1], 16, 32)
		ino, err3 := strconv.ParseUint(id[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || ma != major || mi != minor || ino != st.Ino {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}

// devMajor and devMinor split a Linux device number (glibc's encoding).
func devMajor(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^uint64(0xfff) }
func devMinor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^uint64(0xff) }
