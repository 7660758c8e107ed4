package sweep

import (
	"fmt"
	"strings"
	"syscall"
)

// kernel returns uname's system, release, version and machine.
func kernel() (string, error) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return strings.Join([]string{utsString(u.Sysname[:]), utsString(u.Release[:]), utsString(u.Version[:]), utsString(u.Machine[:])}, " "), nil
}

// utsString converts a NUL-terminated utsname field (int8 or uint8,
// depending on the architecture).
func utsString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// diskFree returns the bytes available to unprivileged users on the file
// system holding path.
func diskFree(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
