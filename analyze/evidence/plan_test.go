package evidence

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPlanRegistry: a registry link too slow for the images' bytes makes
// every plan miss the deadline, which is an answer (not an error) and reads
// as a sentence.
func TestPlanRegistry(t *testing.T) {
	a := loadSweep(t)
	cp, err := a.Plan(60, 10*time.Minute, 0, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Met() || cp.RegistryBytesPerImage <= 0 {
		t.Fatalf("1 B/s: met %v, %v bytes per image", cp.Met(), cp.RegistryBytesPerImage)
	}
	txt := cp.Text()
	for _, want := range []string{"verdict: No plan meets 10m00s: moving", "registry alone takes at least", "the limit is registry bandwidth"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "Hi ") || strings.Contains(txt, "0.0 MB/s") {
		t.Errorf("text leaks a field name or a rounded-away bandwidth:\n%s", txt)
	}
	// The reverse question is bounded the same way.
	free, err := a.Plan(60, 0, 2, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := a.Plan(60, 0, 2, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	bound := 60 * slow.RegistryBytesPerImage / (1 << 20)
	for i, s := range slow.Achieved {
		if s.Prediction.Lo < bound || s.Prediction.Median < bound || s.Prediction.Hi < free.Achieved[i].Prediction.Hi+bound*(1-1e-12) {
			t.Errorf("1 MiB/s, %d workers: %+v, want at least %v s", s.Workers, s.Prediction, bound)
		}
	}
}

// TestPlanCores: other cores than the sweep machine's change the workers
// considered and the predictions, and label all of them extrapolated.
func TestPlanCores(t *testing.T) {
	a := loadSweep(t)
	if a.Machine == nil || a.Machine.Cores == 0 {
		m := Machine{Cores: 2}
		a.Machine = &m
	}
	sweep := a.Machine.Cores
	same, err := a.Plan(60, time.Hour, 0, sweep, 0)
	if err != nil {
		t.Fatal(err)
	}
	more, err := a.Plan(60, time.Hour, 0, 16*sweep, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Every workers value planned is extrapolated; those left out (more
	// workers than the 60 images) are neither planned nor listed.
	var planned []int
	for _, w := range more.Workers {
		if w <= 60 {
			planned = append(planned, w)
		}
	}
	if !slices.Equal(more.Extrapolated, planned) || !strings.Contains(strings.Join(more.Warnings, "\n"), "every prediction is extrapolated") {
		t.Errorf("%d cores: extrapolated %v of %v, warnings %q", 16*sweep, more.Extrapolated, more.Workers, more.Warnings)
	}
	if same.Plan.CoreUse == more.Plan.CoreUse || same.Plan.Options[0].Prediction.Median == more.Plan.Options[0].Prediction.Median &&
		same.Plan.Options[len(same.Plan.Options)-1].Prediction.Median == more.Plan.Options[len(more.Plan.Options)-1].Prediction.Median {
		t.Errorf("cores change nothing: %+v\n%+v", same.Plan, more.Plan)
	}
}

// TestPlanSmall: one image gets one worker; more runners than images are
// cut to one image each, with a warning.
func TestPlanSmall(t *testing.T) {
	a := loadSweep(t)
	cp, err := a.Plan(1, time.Hour, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Plan.Best < 0 || len(cp.Plan.Options) != 1 || cp.Plan.Options[0].Workers != 1 {
		t.Errorf("1 image: %+v", cp.Plan)
	}
	cp, err = a.Plan(3, 0, 10, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cp.RunnersUsed != 3 || len(cp.Achieved) != 1 || cp.Achieved[0].Runners != 3 ||
		!strings.Contains(cp.Text(), "10 runners for 3 images: planned on 3 runners") {
		t.Errorf("10 runners, 3 images: %+v\n%s", cp.Achieved, cp.Text())
	}
}
