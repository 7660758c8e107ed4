package reports

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/buildtune/buildtune/analyze"
	"github.com/buildtune/buildtune/analyze/evidence"
)

// maxSampled is the most sampled instance ids the method lists.
const maxSampled = 12

// methodOf fills the method of a report: what was built, on what, how,
// and the command to repeat it, from the analysis' run metadata and t, the
// build the predictions are for (resolved).
func methodOf(a *evidence.Analysis, t evidence.Target) Method {
	m := Method{BuildKit: a.BuildKitVersion, Commit: a.Commit, Reps: a.Reps, Temps: a.Temps, Warnings: a.Warnings}
	if mc := a.Machine; mc != nil {
		var parts []string
		if cpu := strings.TrimSpace(mc.CPUModel); cpu != "" {
			parts = append(parts, cpu)
		}
		if mc.MemoryBytes > 0 {
			parts = append(parts, analyze.FormatBytes(float64(mc.MemoryBytes))+" memory")
		}
		if k := kernelName(mc.Kernel); k != "" {
			parts = append(parts, k)
		}
		if mc.OS != "" || mc.Arch != "" {
			parts = append(parts, strings.Trim(mc.OS+"/"+mc.Arch, "/"))
		}
		m.Machine = strings.Join(parts, ", ")
		m.Cores = mc.Cores
	}
	if g := a.Grid; g != nil {
		m.Grid = gridText(g)
		m.Sample = g.Sample
	}
	m.Target = targetText(a, t)
	if s := a.Setup; s != nil {
		m.Workload = workloadText(s)
		m.Instances = instancesText(a, s)
		m.Daemons = daemonsText(s)
		m.Registry = registryText(s)
		m.Prune = pruneText(s)
		m.Plan = planText(s, a.Cells)
		if s.Adaptive {
			// Its reps are a plan the budget may cut: the trials each
			// cell got are in the plan's words instead.
			m.Reps = 0
		}
		m.Command = commandText(s.CommandLine)
		var bt []string
		if a.BuildtuneVersion != "" {
			bt = append(bt, a.BuildtuneVersion)
		}
		if s.Modified {
			bt = append(bt, "built from a modified tree")
		}
		if a.GoVersion != "" {
			bt = append(bt, a.GoVersion)
		}
		m.Buildtune = strings.Join(bt, ", ")
	}
	return m
}

// kernelName shortens uname's "Linux 6.18.44-fc #1 SMP ... x86_64" to
// "Linux 6.18.44-fc".
func kernelName(k string) string {
	f := strings.Fields(k)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}

// gridText is the grid in words, with the registry bandwidths it measured
// and, for a sweep of explicit cells, the cells.
func gridText(g *evidence.Grid) string {
	if len(g.Configs) > 0 {
		return "explicit cells " + strings.Join(g.Configs, "; ")
	}
	s := fmt.Sprintf("workers %s; batch %s; cache %s; strategy %s", list(g.Workers), batches(g.Batch), list(g.Cache), list(g.Strategy))
	if len(g.Registry) > 0 && !(len(g.Registry) == 1 && g.Registry[0] == "unlimited") {
		s += "; registry bandwidth " + strings.Join(g.Registry, ", ")
	}
	return s
}

// targetText names the build the predictions are for; the 433 SWT-Bench
// images when the target is the default one of a sweep of the fixtures'
// ids.
func targetText(a *evidence.Analysis, t evidence.Target) string {
	if t.Count() <= 0 {
		return ""
	}
	d := t.Describe()
	if t.Name == "" && a.InstanceList == nil && t.Count() == evidence.DefaultImages && len(t.Repos) == 0 {
		d += ", the SWT-Bench set"
	}
	return d
}

// workloadText says what was built: the fixtures with their profile, a
// workload file, or a custom Dockerfile build with its templates.
func workloadText(s *evidence.Setup) string {
	src := s.Source
	switch {
	case src != nil && src.Workload != "":
		w := "workload file " + src.Workload
		if s.Workload != "" && s.Workload != "custom" {
			w += " (" + s.Workload + ")"
		}
		return w
	case src != nil && src.Context != "":
		parts := []string{"context " + src.Context}
		if src.Dockerfile != "" {
			parts = append(parts, "Dockerfile "+src.Dockerfile)
		} else {
			parts = append(parts, "its Dockerfile")
		}
		if src.Target != "" {
			parts = append(parts, "target "+src.Target)
		}
		if src.BaseImage != "" {
			parts = append(parts, "base image "+src.BaseImage)
		}
		parts = append(parts, "tag "+src.Tag)
		if src.CacheRef != "" {
			parts = append(parts, "cache ref "+src.CacheRef)
		}
		if len(src.BuildArgs) > 0 {
			var args []string
			for k, v := range src.BuildArgs {
				args = append(args, k+"="+v)
			}
			sort.Strings(args)
			parts = append(parts, "build args "+strings.Join(args, " "))
		}
		if src.DockerAuth {
			parts = append(parts, "with the Docker config's credentials")
		}
		return "a custom Dockerfile build, not the fixtures: " + strings.Join(parts, ", ")
	}
	prof := s.Profile
	if prof == "" || prof == "default" {
		return "the generated SWT-Bench-shaped fixtures, default profile"
	}
	name := s.Workload
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(prof), filepath.Ext(prof))
	}
	w := "the generated SWT-Bench-shaped fixtures, profile " + name + ", not the default"
	var about []string
	if prof != name {
		about = append(about, prof)
	}
	if d := s.ProfileDigest; d != "" {
		about = append(about, shortDigest(d))
	}
	if len(about) > 0 {
		w += " (" + strings.Join(about, ", ") + ")"
	}
	return w
}

// shortDigest is "sha256:" and the first 12 hex digits.
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// instancesText says which instances the trials built: how many, drawn
// from what, with what seed, and which.
func instancesText(a *evidence.Analysis, s *evidence.Setup) string {
	from := fmt.Sprintf("the %d SWT-Bench ids", s.Universe)
	if l := a.InstanceList; l != nil {
		from = fmt.Sprintf("the %s of %s", analyze.Plural(len(l.IDs), "instance"), l.Source)
	}
	var out string
	switch {
	case s.Sample > 0 && s.Sample < s.Universe:
		out = fmt.Sprintf("a sample of %d of %s, stratified by repo, seed %d", s.Sample, from, s.Seed)
	default:
		out = "all of " + from
	}
	if n := len(s.Sampled); n > 0 {
		ids := s.Sampled
		more := ""
		if n > maxSampled {
			ids, more = ids[:maxSampled], fmt.Sprintf(" and %d more", n-maxSampled)
		}
		out += fmt.Sprintf("; built: %s%s", strings.Join(ids, ", "), more)
	}
	return out
}

// daemonsText says which BuildKit daemons built the images, and their
// limits where the command line set them.
func daemonsText(s *evidence.Setup) string {
	var parts []string
	addr, given := s.Flags["buildkit-addr"]
	n := len(s.Daemons)
	switch {
	case given:
		parts = append(parts, fmt.Sprintf("%s given by --buildkit-addr %s", analyze.Plural(max(n, 1), "daemon"), addr))
	case n > 0 && privateStack(s):
		parts = append(parts, fmt.Sprintf("%s of a private stack the sweep started", analyze.Plural(n, "buildkitd daemon")))
	case n > 0:
		// No --buildkit-addr and not a private stack: a running
		// 'buildtune stack up', whose settings run.json does not hold.
		return fmt.Sprintf("%s of a running 'buildtune stack up': %s (its max-parallelism is not recorded)",
			analyze.Plural(n, "buildkitd daemon"), strings.Join(s.Daemons, ", "))
	default:
		return ""
	}
	if !given {
		mp := "BuildKit's default max-parallelism"
		if v, ok := s.Flags["max-parallelism"]; ok && v != "0" {
			mp = "max-parallelism " + v
		}
		rc := "at most 4 connections to the registry at once (BuildKit's default)"
		if v, ok := s.Flags["registry-concurrency"]; ok && v != "0" {
			rc = "at most " + v + " connections to the registry at once"
		}
		parts = append(parts, mp, rc)
	}
	return strings.Join(parts, ", ")
}

// privateStack says the daemons are a private stack's (their sockets in
// the temporary folder a sweep makes for one, buildtune-*).
func privateStack(s *evidence.Setup) bool {
	if s.Stack != nil {
		return s.Stack.Private
	}
	for _, d := range s.Daemons {
		if strings.Contains(d, "/buildtune-") {
			return true
		}
	}
	return false
}

// registryText says which registry the sweep pushed to and the conditions
// its proxy imposed, per registry bandwidth condition.
func registryText(s *evidence.Setup) string {
	kind := "embedded (go-containerregistry, blobs on disk; the default)"
	_, addr := s.Flags["buildkit-addr"]
	switch v := s.Flags["registry"]; v {
	case "":
		if !addr && len(s.Daemons) > 0 && !privateStack(s) {
			kind = "the running 'buildtune stack up' registry"
		}
	case "embedded":
		kind = "embedded (go-containerregistry, blobs on disk)"
	case "distribution":
		kind = "distribution (Debian's docker-registry)"
	default:
		kind = v
	}
	conds := make([]string, 0, len(s.Registries))
	for c := range s.Registries {
		conds = append(conds, c)
	}
	evidence.SortConditions(conds)
	var emu []string
	proxied := false
	for _, c := range conds {
		d := registryConditions(s.Registries[c])
		if l := s.Registries[c]; l != "" && l != "direct" {
			proxied = true
		}
		if len(conds) > 1 {
			d = "the " + c + " cells: " + d
		}
		emu = append(emu, d)
	}
	switch {
	case len(emu) == 0:
		return kind
	case !proxied:
		return kind + "; " + strings.Join(emu, "; ")
	}
	return kind + "; through buildtune's proxy, " + strings.Join(emu, "; ")
}

// registryConditions describes a registry proxy label such as
// "bw=16MiB/s,latency=20ms,errors=0.05,drops=0.01" in words; "direct" or
// "" is no emulation. An unknown key is shown as it is.
func registryConditions(label string) string {
	if label == "" || label == "direct" {
		return "direct (no bandwidth cap, latency or faults)"
	}
	status := "429 or 503"
	kv := map[string]string{}
	var order []string
	for _, part := range strings.Split(label, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k == "status" {
			status = v
			continue
		}
		kv[k] = v
		order = append(order, k)
	}
	var out []string
	if _, ok := kv["bw"]; !ok {
		out = append(out, "no bandwidth cap")
	}
	for _, k := range order {
		v := kv[k]
		switch k {
		case "bw":
			out = append(out, "bandwidth "+v+" shared by every connection, pushes and pulls")
		case "latency":
			out = append(out, v+" added to every request")
		case "errors":
			out = append(out, fraction(v)+" of requests answered "+status)
		case "drops":
			out = append(out, fraction(v)+" of connections dropped")
		case "seed":
		default:
			out = append(out, k+"="+v)
		}
	}
	return strings.Join(out, ", ")
}

// fraction writes "0.05" as "5%"; anything else as it is.
func fraction(v string) string {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	return strconv.FormatFloat(100*f, 'g', 3, 64) + "%"
}

// pruneText is the prune policy of the sweep and the prunes it made.
func pruneText(s *evidence.Setup) string {
	th, ok := s.Flags["prune-threshold"]
	if !ok || th == "0" {
		if s.Prunes > 0 {
			return analyze.Plural(s.Prunes, "prune") + " in the counted trials"
		}
		return "none (no --prune-threshold)"
	}
	p := "between batches, a daemon whose cache reaches " + th + " is pruned"
	if keep, ok := s.Flags["prune-keep"]; ok && keep != "0" {
		p += " down to " + keep
	}
	return p + fmt.Sprintf("; %s in the counted trials", analyze.Plural(s.Prunes, "prune"))
}

// planText says how trials were planned: an adaptive sweep's budget and
// rule, and the warm-up.
func planText(s *evidence.Setup, cells []*evidence.Cell) string {
	var parts []string
	if s.Adaptive {
		p := "adaptive (successive halving"
		if s.BudgetSeconds > 0 {
			p += " within a " + duration(s.BudgetSeconds) + " budget"
		}
		p += ")"
		if s.InitialReps > 0 {
			p += fmt.Sprintf(": %d reps per cell first, then cells significantly worse than their condition's best", s.InitialReps)
			if s.Alpha > 0 {
				p += fmt.Sprintf(" at alpha %s", strconv.FormatFloat(s.Alpha, 'g', -1, 64))
			}
			p += " are dropped and the others get more reps"
		}
		if lo, hi := trialRange(cells); hi > 0 {
			n := fmt.Sprint(lo)
			if hi != lo {
				n = fmt.Sprintf("%d to %d", lo, hi)
			}
			p += fmt.Sprintf("; %s trials per cell measured", n)
		}
		parts = append(parts, p)
	} else {
		parts = append(parts, "a fixed grid")
	}
	if s.Warmup {
		parts = append(parts, "one warm-up trial first on the fresh daemon, left out of every statistic")
	} else {
		parts = append(parts, "no warm-up trial")
	}
	return strings.Join(parts, "; ")
}

// trialRange is the fewest and the most trials of a cell.
func trialRange(cells []*evidence.Cell) (lo, hi int) {
	for i, c := range cells {
		if i == 0 || c.N < lo {
			lo = c.N
		}
		hi = max(hi, c.N)
	}
	return lo, hi
}

// commandText is the command line as a shell would take it, with the
// program named buildtune whatever the binary was called.
func commandText(args []string) string {
	if len(args) == 0 {
		return ""
	}
	out := []string{"buildtune"}
	for _, a := range args[1:] {
		out = append(out, shellQuote(a))
	}
	return strings.Join(out, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_./:=,@%+.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// summaryLine is the line under the title: what was built and what the
// predictions are for, so that a run of another profile, workload or list
// does not read like the default sweep.
func summaryLine(m Method) string {
	var parts []string
	if m.Workload != "" {
		parts = append(parts, "Workload: "+m.Workload+".")
	}
	if m.Target != "" {
		parts = append(parts, "Predictions for "+m.Target+".")
	}
	return strings.Join(parts, " ")
}
