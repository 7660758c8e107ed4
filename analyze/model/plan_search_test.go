package model

import (
	"fmt"
	"math"
	"testing"
)

// TestPlanSearchMatchesScan: the bisection over runners finds, for every
// workers value, the same fewest runners and shard as a scan of every
// runner count from one, on a monotone predictor with a per-run fixed cost
// and a nonlinear per-image cost, over many deadlines; and it asks for a
// handful of predictions, not one per shard size.
func TestPlanSearchMatchesScan(t *testing.T) {
	pred := func(workers, images int) Prediction {
		m := 30 + float64(images)*(20+math.Sqrt(float64(images)))/float64(workers)
		return Prediction{Images: images, Workers: workers, Median: m, Lo: 0.9 * m, Hi: 1.15 * m}
	}
	scan := func(images, w, maxR int, deadline float64) (runners, shard int, feasible bool) {
		for r := 1; r <= maxR; r++ {
			s := ceilDiv(images, r)
			if s < w {
				break
			}
			shard = s
			if pred(w, s).Hi <= deadline {
				return ceilDiv(images, s), s, true
			}
		}
		return ceilDiv(images, shard), shard, false
	}
	for _, images := range []int{1, 7, 100, 433, 5000} {
		for _, deadline := range []float64{40, 100, 600, 3600, 36000, 1e7} {
			for _, maxR := range []int{0, 3, 50} {
				calls := 0
				counted := func(w, n int) Prediction { calls++; return pred(w, n) }
				workers := []int{1, 2, 3, 8}
				pl, err := PlanCapacity(PlanInput{Images: images, Deadline: deadline, Workers: workers, Predict: counted, MaxRunners: maxR})
				if err != nil {
					t.Fatal(err)
				}
				limit := maxR
				if limit <= 0 || limit > images {
					limit = images
				}
				name := fmt.Sprintf("%d images, deadline %gs, at most %d runners", images, deadline, limit)
				i := 0
				for _, w := range workers {
					if w > images {
						continue
					}
					r, s, ok := scan(images, w, limit, deadline)
					o := pl.Options[i]
					i++
					if o.Workers != w || o.Runners != r || o.ShardImages != s || o.Feasible != ok {
						t.Errorf("%s, W=%d: got %d runners, shard %d, feasible %v; the scan gives %d, %d, %v", name, w, o.Runners, o.ShardImages, o.Feasible, r, s, ok)
					}
				}
				if most := 4 * (2 + int(math.Ceil(math.Log2(float64(images+1))))); calls > most {
					t.Errorf("%s: %d predictions, want at most %d", name, calls, most)
				}
			}
		}
	}
}
