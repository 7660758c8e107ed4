package workload

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLoadInstanceListBOM: a list saved with a UTF-8 byte order mark, and
// CRLF line ends, reads as the same ids; a mark anywhere but at the start is
// still refused, as any character outside an id is.
func TestLoadInstanceListBOM(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	insts, err := LoadInstanceList(write("bom.txt", "\ufeffdjango__django-11099\r\nsympy__sympy-20590\r\n"))
	if err != nil || len(insts) != 2 || insts[0].ID != "django__django-11099" || insts[0].Org != "django" || insts[1].ID != "sympy__sympy-20590" {
		t.Fatalf("LoadInstanceList with a BOM = %+v, %v; want the 2 ids", insts, err)
	}
	if _, err := LoadInstanceList(write("mid.txt", "django__django-11099\n\ufeffsympy__sympy-20590\n")); err == nil {
		t.Errorf("a BOM on line 2 was taken")
	}
	if _, err := LoadInstanceList(filepath.Join(dir, "missing.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing list: %v, want a not-exist error", err)
	}
}
