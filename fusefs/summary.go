package fusefs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Summary is `vsnd status DIR`: one line per substream, read from the
// mount's own files (so it works from any process that sees the mount):
// state, params, pointers, xruns and endpoint.
func Summary(dir string) (string, error) {
	if !IsMounted(dir) {
		return "", fmt.Errorf("%s: no vsnd mount", dir)
	}
	cards, err := os.ReadFile(filepath.Join(dir, "cards"))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Write(cards)
	cardDirs, _ := filepath.Glob(filepath.Join(dir, "card[0-9]*"))
	sort.Slice(cardDirs, func(i, j int) bool { return natLess(cardDirs[i], cardDirs[j]) })
	for _, cd := range cardDirs {
		subs, _ := filepath.Glob(filepath.Join(cd, "pcm[0-9]*[pc]", "sub[0-9]*"))
		sort.Slice(subs, func(i, j int) bool { return natLess(subs[i], subs[j]) })
		for _, sd := range subs {
			rel, _ := filepath.Rel(dir, sd)
			b.WriteString(subLine(rel, sd))
		}
	}
	return b.String(), nil
}

// subLine summarizes one substream directory.
func subLine(rel, sd string) string {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(sd, name))
		if err != nil {
			return ""
		}
		return string(data)
	}
	ep := "sink"
	if strings.Contains(rel, "c/sub") {
		ep = "source"
	}
	spec := strings.TrimSpace(read(ep))
	status := keyValues(read("status"))
	hw := keyValues(read("hw_params"))
	state := status["state"]
	if state == "" {
		state = strings.TrimSpace(read("status"))
	}
	line := fmt.Sprintf("  %-22s %-9s", rel, state)
	if f := hw["format"]; f != "" {
		rate, _, _ := strings.Cut(hw["rate"], " ")
		line += fmt.Sprintf(" %s %sch %sHz period %s buffer %s", f, hw["channels"], rate, hw["period_size"], hw["buffer_size"])
	}
	if _, ok := status["hw_ptr"]; ok {
		line += fmt.Sprintf(" | hw_ptr %s appl_ptr %s avail %s xruns %s",
			status["hw_ptr"], status["appl_ptr"], status["avail"], status["xruns"])
	}
	line += " | " + ep + " " + spec
	if e := strings.TrimSpace(read("error")); e != "" && e != "none" {
		line += "\n      last error: " + e
	}
	return line + "\n"
}

// keyValues parses "key: value" and "key   : value" lines.
func keyValues(text string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// natLess orders paths with numbers numerically (card2 before card10).
func natLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			if len(da) != len(db) {
				return len(da) < len(db)
			}
			if da != db {
				return da < db
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
