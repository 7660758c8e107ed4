package fullbuild

import (
	"strings"
	"testing"
)

// TestLogNameDistinct: a workload file's instance ids are not held to the {org}__{repo}-{number}
// form, and the log name replaced every other character with '_': "django django-1" and
// "django_django-1" both wrote logs/django_django-1.log, the second image's log over the first's,
// and both manifest lines named one file. An id too long for a file name failed the write of its
// log, which stops the build. Each id now gets its own name of at most 255 bytes; an id of the
// usual form keeps logs/<instance>.log, as the real script names it.
func TestLogNameDistinct(t *testing.T) {
	if got := logName("django__django-11133"); got != "django__django-11133.log" {
		t.Errorf("logName of a plain id = %q, want django__django-11133.log", got)
	}
	ids := []string{"django django-1", "django_django-1", "django/django-1", "django\\django-1", "..", ".", strings.Repeat("a", 300), strings.Repeat("a", 301)}
	seen := map[string]string{}
	for _, id := range ids {
		n := logName(id)
		if prev, ok := seen[n]; ok {
			t.Errorf("ids %q and %q share the log %q", prev, id, n)
		}
		seen[n] = id
		if len(n) > 255 || strings.ContainsAny(n, "/\\ ") || n == "." || n == ".." || strings.HasPrefix(n, ".") {
			t.Errorf("logName(%q) = %q: not a safe file name", id, n)
		}
	}
}
