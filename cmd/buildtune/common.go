package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
	"github.com/buildtune/buildtune/internal/fleet"
	"github.com/buildtune/buildtune/internal/input"
	"github.com/buildtune/buildtune/internal/progress"
	"github.com/buildtune/buildtune/internal/stack"
	"github.com/buildtune/buildtune/internal/workload"
	"github.com/buildtune/buildtune/sweep"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

var errHelp = errors.New("help shown")

// stackFlags are the flags every command that builds shares.
type stackFlags struct {
	// fs is the flag set the flags were registered in: use tells a flag
	// given empty from one left out.
	fs             *pflag.FlagSet
	buildkitAddrs  []string
	tls            engine.DialOptions
	registry       string
	state          string
	buildkitd      string
	maxParallelism int
	regConcurrency int
	daemons        int
}

func (s *stackFlags) register(fs *pflag.FlagSet) {
	s.registerAddrs(fs)
	s.registerPrivate(fs, true)
}

// registerAddrs registers the flags that name running daemons.
func (s *stackFlags) registerAddrs(fs *pflag.FlagSet) {
	s.fs = fs
	fs.StringArrayVar(&s.buildkitAddrs, "buildkit-addr", nil, "buildkitd address to use, ADDR or ADDR@N with N the most builds it takes at once (0 = no limit); "+
		"repeatable or a comma list, e.g. --buildkit-addr unix:///run/a.sock@4 --buildkit-addr tcp://10.0.0.2:1234@8; "+
		"schemes: "+strings.Join(engine.Schemes, ", ")+"; each build goes to the healthy daemon with the fewest builds in flight "+
		"(default $BUILDKIT_HOST; else a running 'buildtune stack up'; else a private stack)")
	fs.StringVar(&s.tls.CACert, "tlscacert", "", "CA certificate of the daemons' TLS certificates (tcp:// addresses), as buildctl's --tlscacert")
	fs.StringVar(&s.tls.Cert, "tlscert", "", "client certificate for daemons that verify clients (with --tlskey)")
	fs.StringVar(&s.tls.Key, "tlskey", "", "key of the client certificate (with --tlscert)")
	fs.StringVar(&s.tls.ServerName, "tlsservername", "", "name checked against the daemons' certificates (default: the host of each address)")
}

// registerPrivate registers --state and, with stack, the flags that shape
// a stack buildtune starts itself (a private one, or 'stack up').
func (s *stackFlags) registerPrivate(fs *pflag.FlagSet, stack bool) {
	s.fs = fs
	if !stack {
		fs.StringVar(&s.state, "state", "runs/stack", "folder of the stack kept by 'buildtune stack up'")
		s.daemons = 1
		return
	}
	fs.StringVar(&s.registry, "registry", "", "registry: host:port of a running one, 'embedded' (default) or 'distribution' (Debian's docker-registry)")
	fs.StringVar(&s.state, "state", "runs/stack", "folder of the stack kept by 'buildtune stack up'")
	fs.StringVar(&s.buildkitd, "buildkitd", "", "buildkitd binary for a private stack (default: bin/buildkitd beside buildtune)")
	fs.IntVar(&s.maxParallelism, "max-parallelism", 0, "buildkitd max-parallelism for a private stack (0 = BuildKit's default)")
	fs.IntVar(&s.regConcurrency, "registry-concurrency", 0, "buildkitd maxRegistryConcurrency for a private stack: connections to one registry at once, shared by all its pushes and pulls (0 = BuildKit's default, 4); raise it over a link with a long round trip")
	fs.IntVar(&s.daemons, "daemons", 1, "BuildKit daemons in a private stack; images are spread across them")
}

// use turns the flags into stack.Use, checking every given address and
// the TLS options before anything starts (bad input, exit 2).
func (s *stackFlags) use() (stack.Use, error) {
	if s.fs != nil {
		// A flag given an empty value (an unset variable in a CI script)
		// was taken as left out: --registry "$REG" built against the
		// embedded registry, --state "" looked for no running stack.
		if err := emptyValues(s.fs, stackWants); err != nil {
			return stack.Use{}, err
		}
		if err := checkFolderShape(s.fs, "state", s.state); err != nil {
			return stack.Use{}, err
		}
	}
	what := "--buildkit-addr"
	raw := s.buildkitAddrs
	if len(raw) == 0 {
		if h := os.Getenv("BUILDKIT_HOST"); h != "" {
			raw, what = []string{h}, "$BUILDKIT_HOST"
		}
	}
	var addrs []string
	var limits []int
	anyLimit := false
	for _, v := range raw {
		for _, item := range strings.Split(v, ",") {
			if strings.TrimSpace(item) == "" {
				return stack.Use{}, usagef("%s %q: empty address", what, v)
			}
			a, n, err := stack.ParseAddr(item)
			if err != nil {
				return stack.Use{}, err
			}
			if err := engine.ValidateAddr(a, s.tls); err != nil {
				return stack.Use{}, input.Bad(what, err)
			}
			// One daemon given twice became two daemons of the pool: twice
			// its @N, its prunes and its health counted twice, and a
			// sweep's record naming two daemons where one ran.
			for _, prev := range addrs {
				if prev == a {
					return stack.Use{}, input.Errorf(what+" "+a, "given twice; want each daemon once, with @N for the builds it takes at once")
				}
			}
			addrs = append(addrs, a)
			limits = append(limits, n)
			anyLimit = anyLimit || n > 0
		}
	}
	if !anyLimit {
		limits = nil
	}
	if s.tls.TLS() && len(addrs) == 0 {
		return stack.Use{}, usagef("--tlscacert, --tlscert, --tlskey and --tlsservername need --buildkit-addr tcp://HOST:PORT")
	}
	if s.daemons < 1 {
		return stack.Use{}, usagef("--daemons %d: want 1 or more", s.daemons)
	}
	if s.maxParallelism < 0 {
		return stack.Use{}, usagef("--max-parallelism %d: want 0 (default) or more", s.maxParallelism)
	}
	if s.regConcurrency < 0 {
		return stack.Use{}, usagef("--registry-concurrency %d: want 0 (default) or more", s.regConcurrency)
	}
	if err := stack.CheckRegistry(s.registry); err != nil {
		return stack.Use{}, usagef("--registry: %v", err)
	}
	bin := s.buildkitd
	if bin == "" {
		bin = defaultBuildkitd()
	}
	return stack.Use{
		BuildkitAddrs: addrs,
		DaemonLimits:  limits,
		TLS:           s.tls,
		Registry:      s.registry,
		StateDir:      s.state,
		Start: stack.Config{
			Buildkitd:           bin,
			MaxParallelism:      s.maxParallelism,
			RegistryConcurrency: s.regConcurrency,
			Daemons:             s.daemons,
		},
	}, nil
}

// stackWants are what the stack flags that take a name or a file want, for
// the message refusing one given an empty value.
var stackWants = map[string]string{
	"registry":      "'embedded', 'distribution' or the host:port of a running registry (leave the flag out for the embedded one)",
	"state":         "the folder of 'buildtune stack up' (leave the flag out for runs/stack)",
	"buildkitd":     "the path of a buildkitd binary (leave the flag out for bin/buildkitd)",
	"tlscacert":     "a CA certificate file",
	"tlscert":       "a client certificate file",
	"tlskey":        "a client key file",
	"tlsservername": "the server name of the daemons' certificates",
}

// sourceFlags fill a fleet.Source: what is built.
type sourceFlags struct {
	fleet.Source
	buildArgs []string
}

func (s *sourceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.Workload, "workload", "", "workload file (YAML/JSON: instances, plans of phases with templates) instead of the fixtures")
	fs.StringVar(&s.Instances, "instances", "", "instance id list, one per line (default: the 433 SWT-Bench ids)")
	fs.StringVar(&s.Context, "context", "", "build context folder of a custom workload (instead of the fixtures)")
	fs.StringVar(&s.Dockerfile, "dockerfile", "", "Dockerfile of a custom workload (default CONTEXT/Dockerfile)")
	fs.StringVar(&s.Target, "target", "", "Dockerfile target stage of a custom workload")
	fs.StringVar(&s.BaseImage, "base-image", "", "base image template, passed as build arg BASE_IMAGE, e.g. docker.io/swebench/{{.Slug}}:latest")
	fs.StringVar(&s.Tag, "tag", "", "tag template of a custom workload, e.g. {{.Registry}}/eval-agent-server:{{.SDKSha7}}-{{.Slug}}-source-minimal")
	fs.StringVar(&s.CacheRef, "cache-ref", "", "registry cache ref template of a custom workload (imported, and exported unless cache mode is off)")
	fs.StringArrayVar(&s.buildArgs, "build-arg", nil, "KEY=VALUE build arg (value may be a template); repeatable")
	fs.BoolVar(&s.DockerAuth, "docker-auth", false, "send registry credentials from the Docker config file (~/.docker/config.json) to BuildKit; build also uses them for its --skip-existing check")
}

// sourceWants are what the flags of sourceFlags (and --profile) want,
// for emptyValues' message refusing one given an empty value: sweep,
// prove and build took `--instances "$LIST"` with an unset variable for
// the flag left out, and measured the 433 fixtures instead.
var sourceWants = map[string]string{
	"profile":    "'default' or a profile YAML file",
	"instances":  "a file of instance ids, one per line (leave the flag out for the 433 SWT-Bench ids)",
	"workload":   "a workload file",
	"context":    "the build context folder of a custom workload",
	"dockerfile": "a Dockerfile (leave the flag out for CONTEXT/Dockerfile)",
	"target":     "a stage of the Dockerfile (leave the flag out to build its last stage)",
	"tag":        "a tag template",
	"cache-ref":  "a registry cache ref template",
	"base-image": "a base image template",
}

// withSourceWants adds sourceWants to a command's own wants.
func withSourceWants(own map[string]string) map[string]string {
	out := maps.Clone(sourceWants)
	maps.Copy(out, own)
	return out
}

// check validates the flags (bad input, exit 2).
func (s *sourceFlags) check() error {
	args, err := fleet.ParseBuildArgs(s.buildArgs)
	if err != nil {
		return err
	}
	s.BuildArgs = args
	return s.Check()
}

// universe is every instance the source can build, as fleet.Source.Universe
// gives it, with an --instances file read by workload.LoadInstanceList (a
// leading UTF-8 byte order mark dropped).
//
// Every instance's tags, cache refs and base image are checked (fleet.Source.CheckInstances)
// here, before a sample is drawn: a template that fails for some instance of the list, or two
// instances given one tag, is bad input naming the flag, before anything starts.
func universe(src fleet.Source) ([]workload.Instance, error) {
	var insts []workload.Instance
	var err error
	if src.Instances == "" {
		insts, err = src.Universe()
	} else if insts, err = loadInstances(src); err != nil {
		err = input.Bad("--instances", err)
	}
	if err != nil {
		return nil, err
	}
	if err := src.CheckInstances(insts); err != nil {
		return nil, err
	}
	if src.Context != "" {
		// The one-Dockerfile workload as Prepare makes it, with stand-ins
		// for the registry and the SDK commit: its references are checked
		// by the grammar BuildKit parses them by, before the stack starts.
		if _, err := workload.Simple(workload.SimpleOptions{Instances: insts, Registry: "127.0.0.1:5000", SDKSha: "0123456789abcdef0123456789abcdef01234567",
			BaseImage: src.BaseImage, ContextDir: src.Context, Dockerfile: src.Dockerfile, Target: src.Target, BuildArgs: src.BuildArgs,
			Tag: src.Tag, CacheRef: src.CacheRef}); err != nil {
			return nil, input.Bad("custom workload (--tag, --cache-ref, --base-image)", err)
		}
	}
	if src.Workload != "" {
		// A phase with a Dockerfile (or context) per instance, a template,
		// is checked for the instances that will be built.
		w, err := workload.Load(src.Workload)
		if err != nil {
			return nil, input.Bad("--workload", err)
		}
		if err := w.CheckFiles(insts); err != nil {
			return nil, input.Bad("--workload "+src.Workload, err)
		}
	}
	return insts, nil
}

// loadInstances reads the --instances file of src: with a --workload file
// that lists its instances, the ids pick among them, each taken as the file
// gives it (its org, repo and name expand its templates) and refused when
// the file does not list it; else each is an SWT-Bench id.
func loadInstances(src fleet.Source) ([]workload.Instance, error) {
	if src.Workload != "" {
		w, err := workload.Load(src.Workload)
		if err != nil {
			return nil, input.Bad("--workload", err)
		}
		if len(w.Instances) > 0 {
			data, err := os.ReadFile(src.Instances)
			if err != nil {
				return nil, fmt.Errorf("instance list: %w", err)
			}
			return workload.ParseInstanceSubset(data, src.Instances, w.Instances, "workload "+src.Workload)
		}
	}
	return workload.LoadInstanceList(src.Instances)
}

// defaultBuildkitd looks beside the buildtune binary, then in ./bin, then PATH.
func defaultBuildkitd() string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "buildkitd")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if _, err := os.Stat("bin/buildkitd"); err == nil {
		abs, _ := filepath.Abs("bin/buildkitd")
		return abs
	}
	return "bin/buildkitd"
}

func defaultOut() string {
	return filepath.Join("runs", time.Now().Format("20060102-150405"))
}

// flags returns the flag set of a command, with a --help that prints its
// usage line, an example and the flags to stdout.
func (c *cli) flags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	return fs
}

// usage prints the help of the command named by fs.
func (c *cli) usage(fs *pflag.FlagSet) {
	name := strings.Fields(fs.Name())[0]
	for _, cmd := range subcommands {
		if cmd.name == name {
			fmt.Fprintf(c.stdout, "Usage: %s\n\nExample:\n  %s\n", cmd.usage, cmd.example)
		}
	}
	if f := fs.FlagUsages(); f != "" {
		fmt.Fprintf(c.stdout, "\nFlags:\n%s", f)
	}
}

// parse parses args, mapping flag errors to usage errors; --help prints the
// command's usage and returns errHelp (exit 0).
func (c *cli) parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			c.usage(fs)
			return errHelp
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func (c *cli) newDisplay() *progress.Display {
	f, ok := c.stderr.(*os.File)
	return progress.New(c.stderr, ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "")
}

// version is buildtune's version and commit, as run.json records them.
func version() string {
	v, commit, modified := sweep.BuildVersion()
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if modified {
		commit += "-dirty"
	}
	if commit != "" {
		return v + " (" + commit + ")"
	}
	return v
}

// durationFlag is a duration flag read by input.ParseDuration: a duration
// beyond input.MaxDuration, also one that overflows time.Duration (which
// pflag's own reader calls no duration at all), is bad input naming the
// flag and the bound. Zero and negative values are left to the command's
// checks.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) Set(s string) error {
	d, err := input.ParseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (f durationFlag) Type() string { return "duration" }

// String writes the value as ParseDuration reads it ("0" when unset, so
// that --help shows no default).
func (f durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0"
	}
	return f.d.String()
}

// durationVar defines a duration flag read as durationFlag reads it.
func durationVar(fs *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(durationFlag{p}, name, usage)
}

// newDirs are the folders of a path that do not exist yet, from the
// highest one down to the path itself.
type newDirs struct {
	path string // the folder, cleaned
	top  string // its highest missing ancestor (or itself); "" when path exists
}

// missingDirs notes which folders of path do not exist yet. A command that
// creates its --out folder calls it before anything can create it, and
// removeEmpty when it ends: a refusal after the folder was made (buildkitd
// missing, a daemon unreachable) then leaves nothing behind that the next
// attempt with the same --out would meet.
func missingDirs(path string) newDirs {
	d := newDirs{path: filepath.Clean(path)}
	for p := d.path; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			break // exists, or cannot be told: not ours to remove
		}
		d.top = p
		if filepath.Dir(p) == p {
			break
		}
	}
	return d
}

// removeEmpty removes the folders missingDirs found missing, deepest
// first, each only while it is an empty folder: one that holds anything
// (a record, a file of someone else's) is kept, and so are those above it.
// A folder that existed before is never touched.
func (d newDirs) removeEmpty() {
	if d.top == "" {
		return
	}
	for p := d.path; ; p = filepath.Dir(p) {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			// Never made, or gone already: on to the folder above.
		case err != nil || !fi.IsDir():
			return
		default:
			if entries, err := os.ReadDir(p); err != nil || len(entries) > 0 {
				return
			}
			if err := os.Remove(p); err != nil {
				return
			}
		}
		if p == d.top || filepath.Dir(p) == p {
			return
		}
	}
}

func joinComma(xs []string) string { return strings.Join(xs, ",") }

func durationOf(ns int64) time.Duration { return time.Duration(ns) }

// checkFolderFlag refuses, before anything starts, a folder flag (--out, --state) given empty,
// naming a file (or a path through a file), or naming a folder this user cannot write in (or
// create): the command would fail only after its set-up (a sweep into a read-only folder was
// an "infrastructure failure", exit 3, once the stack had started), or, for an empty value,
// write into the current folder.
func checkFolderFlag(fs *pflag.FlagSet, name, dir string) error {
	if err := checkFolderShape(fs, name, dir); err != nil {
		return err
	}
	if dir == "" {
		return nil
	}
	return checkWritableFolder("--"+name, dir)
}

// Access modes of access(2).
const (
	accessW = 0x2
	accessX = 0x1
)

// checkWritableFolder refuses (bad input naming flag and dir) a folder a command must write in
// when this user cannot: dir itself when it exists, else the nearest folder above it that
// does, in which it would be created. It asks access(2), which also says so of a read-only
// file system to root, and so writes nothing to find out. A path that cannot be examined is
// left to the command.
func checkWritableFolder(flag, dir string) error {
	clean := filepath.Clean(dir)
	for p := clean; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return nil // checkFolderShape's business
		case err == nil:
			if err := syscall.Access(p, accessW|accessX); err != nil {
				if p == clean {
					return input.Errorf(flag+" "+dir, "cannot write in it (%v); want a folder this user can write in", err)
				}
				return input.Errorf(flag+" "+dir, "cannot create it in %s (%v); want a folder this user can write in", p, err)
			}
			return nil
		case !errors.Is(err, os.ErrNotExist):
			return nil
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// checkFolderShape is checkFolderFlag without the check that the folder can be written: for
// a folder only read (stack status).
func checkFolderShape(fs *pflag.FlagSet, name, dir string) error {
	flag := "--" + name
	if fs.Changed(name) && strings.TrimSpace(dir) == "" {
		return input.Errorf(flag, "empty value; want a folder (created if missing)")
	}
	if dir == "" {
		return nil
	}
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				if p == filepath.Clean(dir) {
					return input.Errorf(flag+" "+dir, "a file, not a folder; want a folder (created if missing)")
				}
				return input.Errorf(flag+" "+dir, "%s is a file, not a folder; want a folder (created if missing)", p)
			}
			return nil
		}
		if parent := filepath.Dir(p); parent == p {
			return nil
		}
	}
}

// maxReps bounds a sweep's repetitions per cell: far above any real sweep, and low enough that
// the estimate checked against --budget cannot overflow.
const maxReps = 10_000

// maxAttempts bounds the attempts per image: the real script makes 3, and
// --attempts 99999999999 retried a failing image for ever.
const maxAttempts = 100

// maxPerImageSeconds bounds --per-image-seconds, the per-image time the
// estimates assume: a day per image is far above any build, and the
// estimates of 1e308 s overflowed.
const maxPerImageSeconds = 24 * 60 * 60

// maxImages bounds the images of a predicted full build: each of the 1000 simulated
// builds schedules every image, so the time of a prediction grows with them (on a
// 2-core machine, recommend on a 4-cell sweep took 13.5 s for 50000 images), and a typo
// such as --images 99999999999 would exhaust the memory after the sweep has spent its
// budget. 100000 is well above any benchmark's instance count.
const maxImages = 100_000

// sampleFromList explains a sample larger than the list it is drawn from, before
// fixtures.Sample refuses it without naming the list. list is listFlag's: the flag and file
// of the list, or "" for the SWT-Bench ids. When --sample was left at its default, the user
// gave a list, not a sample size; when it was given, the bound is the list's size, and the
// message says so.
func sampleFromList(fs *pflag.FlagSet, list string, listed, sample int, from string) error {
	if listed >= sample {
		return nil
	}
	if fs.Changed("sample") {
		if list == "" {
			return input.Errorf(fmt.Sprintf("--sample %d", sample), "more than the %d SWT-Bench instances; want 1..%d", listed, listed)
		}
		return input.Errorf(fmt.Sprintf("--sample %d", sample), "more than the %d instances of %s, the list the sample is drawn from; want 1..%d", listed, list, listed)
	}
	if list == "" {
		// Only a --grid file's sample gets here (the defaults fit): it was
		// refused as a --sample nobody gave.
		return input.Errorf(from, "sample %d, more than the %d SWT-Bench instances; want 1..%d", sample, listed, listed)
	}
	all := ""
	if fs.Lookup("all") != nil {
		all = ", or --all"
	}
	return input.Errorf(list, "%d instances, fewer than the sample of %d (%s); want --sample %d or less%s", listed, sample, from, listed, all)
}

// listFlag names the list a source's sample is drawn from, as the flag that gave it:
// "--instances FILE", "--workload FILE" for a workload file that lists instances, or "" for
// the SWT-Bench ids of the fixtures.
func listFlag(src fleet.Source) string {
	switch {
	case src.Instances != "":
		return "--instances " + src.Instances
	case src.Workload != "":
		if w, err := workload.Load(src.Workload); err == nil && len(w.Instances) > 0 {
			return "--workload " + src.Workload
		}
	}
	return ""
}

// shortDigest cuts a "sha256:<64 hex>" digest to its first 12 hex digits, enough to tell two
// profiles apart in a message that has one line to name them and what to give.
func shortDigest(d string) string {
	const keep = len("sha256:") + 12
	if strings.HasPrefix(d, "sha256:") && len(d) > keep {
		return d[:keep]
	}
	return d
}

// Bounds of the small text files the evidence commands read whole: a
// workflow, and an instance list of at most maxImages ids.
const (
	maxWorkflowBytes  = 16 << 20
	maxInstancesBytes = 64 << 20
)

// readSmallFile reads the file a flag names, at most limit bytes: more is
// bad input naming the flag and the file (--workflow /dev/zero, or a
// multi-gigabyte file given by mistake, was read into memory until the
// kernel killed the process, deaf to Ctrl-C). A pipe is read as a file
// (--instances <(...)).
func readSmallFile(flag, path string, limit int64, want string) ([]byte, error) {
	name := flag + " " + path
	f, err := os.Open(path)
	if err != nil {
		return nil, input.Errorf(name, "%v; %s", err, want)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, input.Errorf(name, "a folder; %s", want)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, input.Errorf(name, "%v; %s", err, want)
	}
	if int64(len(data)) > limit {
		return nil, input.Errorf(name, "larger than %d MiB; %s", limit>>20, want)
	}
	return data, nil
}
