package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Lines appends JSON values to a JSON-lines file, one line each, synced to
// disk as each is written, so that a run killed in any way keeps every
// line it wrote. The records file and the production build's manifest are
// both written with it. It is safe for concurrent use.
type Lines struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// OpenLines opens path for appending, creating it if needed. A torn last
// line (no final newline and not valid JSON: a crash mid-write) is cut off
// first and cut is the number of bytes removed, so that the caller can say
// so; an unterminated last line that is complete JSON is kept and
// terminated. Either way the next line starts on a line of its own.
func OpenLines(path string) (l *Lines, cut int64, err error) {
	if cut, err = repairTail(path); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", path, err)
	}
	return &Lines{f: f, path: path}, cut, nil
}

// Path returns the file's path.
func (l *Lines) Path() string { return l.path }

// Append writes v as one JSON line and syncs the file.
func (l *Lines) Append(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding a line of %s: %w", l.path, err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(line); err != nil {
		return fmt.Errorf("appending to %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file; closing twice is harmless.
func (l *Lines) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("closing %s: %w", l.path, err)
	}
	return nil
}

// repairTail cuts a torn last line, or terminates a complete one, and
// returns the bytes cut.
func repairTail(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return 0, nil
	}
	start := bytes.LastIndexByte(data, '\n') + 1
	tail := data[start:]
	if len(bytes.TrimSpace(tail)) > 0 && json.Valid(tail) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return 0, fmt.Errorf("terminating the last line of %s: %w", path, err)
		}
		_, werr := f.Write([]byte{'\n'})
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return 0, fmt.Errorf("terminating the last line of %s: %w", path, werr)
		}
		return 0, nil
	}
	if err := os.Truncate(path, int64(start)); err != nil {
		return 0, fmt.Errorf("cutting the torn last line of %s: %w", path, err)
	}
	return int64(len(tail)), nil
}
