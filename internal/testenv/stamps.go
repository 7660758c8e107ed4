package testenv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// oldTime is the mtime Stamps sets on a folder's entries, so that any
// write since shows, whatever the file system's clock granularity.
var oldTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// Stamps returns how every entry under dir (dir included) looks: mode,
// size, mtime and content. With reset it first sets each entry's mtime to
// an old time, so that two stamps are equal only if nothing under dir was
// created, removed, written or touched in between.
func Stamps(t testing.TB, dir string, reset bool) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if reset {
			// A directory's mtime does not change when its entries' times
			// do, so any order will do.
			if err := os.Chtimes(p, oldTime, oldTime); err != nil {
				return err
			}
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		v := fmt.Sprintf("%s %d %s", fi.Mode(), fi.Size(), fi.ModTime().UTC().Format(time.RFC3339Nano))
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		m[p] = v
		return nil
	})
	if err != nil {
		t.Fatalf("stamps of %s: %v", dir, err)
	}
	return m
}

// SameStamps fails the test for every entry that changed, appeared or
// went between two Stamps of a folder.
func SameStamps(t testing.TB, before, after map[string]string) {
	t.Helper()
	for p, v := range after {
		if b, ok := before[p]; !ok {
			t.Errorf("created: %s", p)
		} else if b != v {
			t.Errorf("changed: %s\n  before %q\n  after  %q", p, b, v)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("removed: %s", p)
		}
	}
}
