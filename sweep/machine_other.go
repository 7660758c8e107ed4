//go:build !linux

package sweep

import (
	"errors"
	"runtime"
)

var errNotLinux = errors.New("not collected on " + runtime.GOOS)

func kernel() (string, error) { return "", errNotLinux }

func diskFree(string) (int64, error) { return 0, errNotLinux }
