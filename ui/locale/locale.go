// Package locale keeps Fyne from complaining about the C locale.
//
// Fyne's lang package reads the locale while the program initialises,
// before main runs, and logs "Fyne error: Error parsing user locale C" on
// stderr when LANG (or LC_ALL, LC_MESSAGES) is C.UTF-8 or another codeset
// of the C locale: not a language tag. That would dirty the output of
// every command-line subcommand. The C locale means "untranslated", which
// for Fyne is English, so this package says so before Fyne looks.
//
// Import it for its side effect from package main. It imports only os, so
// it initialises before fyne.io/fyne/v2/lang: the Go spec initialises
// packages in import-path order as soon as their imports are ready, and
// lang waits for packages (text/template among them) that this one does
// not need.
package locale

import "os"

func init() {
	// Fyne (through github.com/jeandeaual/go-locale) takes the first of
	// these that is set; plain "C" and "POSIX" it already understands.
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if isC(v) && v != "C" && v != "POSIX" && (os.Getenv("LANGUAGE") == "" || isC(os.Getenv("LANGUAGE"))) {
			// For a locale other than plain C it reads LANGUAGE first.
			// gettext ignores LANGUAGE under the C locale, so this changes
			// nothing for any other program.
			os.Setenv("LANGUAGE", "en")
		}
		return
	}
}

// isC reports whether v names the C or POSIX locale (with any codeset).
func isC(v string) bool {
	base := v
	for i := 0; i < len(v); i++ {
		if v[i] == '.' || v[i] == '@' {
			base = v[:i]
			break
		}
	}
	return base == "C" || base == "POSIX"
}
