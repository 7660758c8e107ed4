package record

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// WriteAtomic writes a derived file (an analysis, a report, a summary) so
// that a reader sees either the old file or the whole new one, never a
// part: a temporary file in the same folder, synced, then renamed.
func WriteAtomic(path string, data []byte) error { return WriteAtomicAs(path, data, nil) }

// WriteAtomicAs is WriteAtomic for a file that replaces like (a user's
// file rewritten in place): the new file gets like's permission bits and,
// where permitted, its owner. With like nil the mode is 0644.
func WriteAtomicAs(path string, data []byte, like fs.FileInfo) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	mode := fs.FileMode(0o644)
	if like != nil {
		mode = like.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		if st, ok := like.Sys().(*syscall.Stat_t); ok {
			_ = f.Chown(int(st.Uid), int(st.Gid)) // keeps the owner when permitted (root); else the writer owns it
		}
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("renaming %s into place: %w", path, err)
	}
	return nil
}

// WriteJSONAtomic writes v as indented JSON with WriteAtomic.
func WriteJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return WriteAtomic(path, append(b, '\n'))
}
