// Command benchtable runs every benchmark of lashview, each against the
// baseline it measures in the same run, and writes one Markdown table with
// the ratios first, the machine, the date and the commit (`make bench`).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// target says what each benchmark must reach, from the issues.
var target = map[string]string{
	"BenchmarkScan/10000":                  "scan ≤ 1.5× the plain walk",
	"BenchmarkScan/100000":                 "scan ≤ 1.5× the plain walk; < 150 MB peak RSS",
	"BenchmarkPutSmall":                    "≥ 0.8× fsync'd writes",
	"BenchmarkPutStream":                   "≥ 0.8× fsync'd writes; heap growth < 32 MiB",
	"BenchmarkVerify":                      "≥ 0.9× sha256sum",
	"BenchmarkWarmScreen":                  "40 thumbnails < 50 ms",
	"BenchmarkFill1000":                    "peak RSS < 300 MB",
	"BenchmarkThumbnails":                  "≥ 2× vipsthumbnail (≤ 0.5× its time)",
	"BenchmarkPutLatency":                  "p99 < 150 ms",
	"BenchmarkBurstConverge":               "converges < 1 s after the last put",
	"BenchmarkIdleCPU":                     "0 CPU while idle",
	"BenchmarkWindowFirstScreen":           "< 1.5 s to the first screen",
	"BenchmarkWindowScrollPeakRSS":         "≤ 352 MB peak RSS (aim 300)",
	"BenchmarkWindowFrames/1-screen":       "median frame < 16.7 ms, p95 < 33 ms",
	"BenchmarkWindowFrames":                "every cell shows its thumbnail or a placeholder, never holding a frame back",
	"BenchmarkThumbnails/photo":            "≥ 2× vipsthumbnail (≤ 0.5× its time)",
	"BenchmarkThumbnails/screenshot":       "≥ 2× vipsthumbnail (≤ 0.5× its time)",
	"BenchmarkLoad":                        "every reference of 200 sessions ≤ 2× the sqlite3 shell",
	"BenchmarkListBucket/100000":           "ls ≤ 1.3× a bare ListObjects loop (warm head cache; cold reported beside it)",
	"BenchmarkBucketWindowFirstScreenWarm": "< 1.5 s to the first screen, like a folder",
	"BenchmarkBucketWindowFirstScreenCold": "reported (every thumbnail on screen fetched from the bucket)",
}

type result struct {
	name    string
	metrics [][2]string // value, unit, in the order printed
}

// isRatio says whether a metric is a ratio against a baseline.
func isRatio(unit string) bool {
	return strings.HasPrefix(unit, "x-") || strings.HasPrefix(unit, "x_") || strings.HasPrefix(unit, "ratio")
}

func main() {
	out := flag.String("out", "docs/benchmarks.md", "the Markdown file to write")
	pkgs := flag.String("pkgs", "./store/ ./store/s3store/ ./thumbs/ ./watcher/ ./sessions/ ./ui/...", "the packages whose benchmarks run")
	bench := flag.String("bench", "^Benchmark[^Z]", "which benchmarks (-bench of go test)")
	windowN := flag.Int("window", 100_000, "attachments in the window benchmark's store (0: skip it)")
	bucketN := flag.Int("bucket-window", 10_000, "attachments in the bucket window benchmark's bucket (0: skip it)")
	flag.Parse()
	loadBefore := loadAverage()
	args := append([]string{"test", "-run", "^$", "-bench", *bench, "-benchtime", "1x", "-timeout", "90m"}, strings.Fields(*pkgs)...)
	cmd := exec.Command("go", args...)
	var raw bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &raw)
	cmd.Stderr = os.Stderr
	runErr := cmd.Run()
	results := parse(raw.String())
	if *windowN > 0 {
		w, err := windowBench(*windowN)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable: window benchmark:", err)
			results = append(results, result{name: "BenchmarkWindow", metrics: [][2]string{{"not", "measured: " + strings.NewReplacer("|", "/", "\n", " ").Replace(err.Error())}}})
		}
		results = append(results, w...)
	}
	if *bucketN > 0 {
		w, err := bucketWindowBench(*bucketN)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable: bucket window benchmark:", err)
			results = append(results, result{name: "BenchmarkBucketWindow", metrics: [][2]string{{"not", "measured: " + strings.ReplaceAll(err.Error(), "|", "/")}}})
		}
		results = append(results, w...)
	}
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark reported a result")
		os.Exit(1)
	}
	load := fmt.Sprintf("load average %s at the start, %s at the end", loadBefore, loadAverage())
	old, err := os.ReadFile(*out)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, []byte(render(results, load)+notes(string(old))), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (%d benchmarks)\n", *out, len(results))
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "benchtable: go test failed:", runErr)
		os.Exit(1)
	}
}

// parse reads go test's benchmark lines: name, iterations, then value/unit
// pairs.
func parse(s string) []result {
	var rs []result
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		r := result{name: name}
		for i := 2; i+1 < len(f); i += 2 {
			if f[i+1] == "ns/op" {
				continue
			}
			r.metrics = append(r.metrics, [2]string{f[i], f[i+1]})
		}
		rs = append(rs, r)
	}
	return rs
}

// loadAverage is the one-minute load average, which says how much of the
// machine the wall-clock figures had (2 cores: above 2, other work shared
// them).
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data) + " unknown")[0]
}

// notes is what follows the table in the file written before: the
// sections (## …) people wrote about earlier runs, which a new table must
// not wipe out.
func notes(old string) string {
	i := strings.Index(old, "\n## ")
	if i < 0 {
		return ""
	}
	return "\n" + old[i:]
}

func render(rs []result, load string) string {
	var b strings.Builder
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	fmt.Fprintf(&b, "# lashview benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` on %s, commit `%s`, on %s; %s.\n", time.Now().Format("2006-01-02 15:04 MST"), strings.TrimSpace(string(commit)), machine(), load)
	fmt.Fprintf(&b, "Every ratio compares lashview with a baseline measured in the same run on the same data")
	fmt.Fprintf(&b, " (a ratio named x-… is lashview's throughput over the baseline's, or its time over the baseline's where the name says walk; ratio_time_… is its time over the baseline's).\n\n")
	fmt.Fprintf(&b, "| benchmark | ratios | target | figures |\n|---|---|---|---|\n")
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].name < rs[j].name })
	for _, r := range rs {
		var ratios, figs []string
		for _, m := range r.metrics {
			if isRatio(m[1]) {
				ratios = append(ratios, fmt.Sprintf("**%s** %s", m[0], m[1]))
			} else {
				figs = append(figs, m[0]+" "+m[1])
			}
		}
		t := target[r.name]
		if t == "" {
			if i := strings.Index(r.name, "/"); i > 0 {
				t = target[r.name[:i]]
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.name, strings.Join(ratios, "<br>"), t, strings.Join(figs, ", "))
	}
	return b.String()
}

func machine() string {
	model := runtime.GOARCH
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(l[strings.Index(l, ":")+1:])
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(data), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%s, %d cores%s, %s", model, runtime.NumCPU(), mem, runtime.Version())
}
