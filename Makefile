# lashview: `make run` opens the window on the default store, `make test`
# runs every test. Both install the Debian packages they need first.

GO      ?= go
PREFIX  ?= /usr/local
# --version says the version and build of FyneApp.toml (internal/cli holds
# them as constants, a test keeps them equal) and the commit: Go stamps it
# into a build from a git checkout, unless GOFLAGS has -buildvcs=false or
# the checkout is a git worktree, which Go does not recognise. The Makefile
# passes it, as Go would write it, so its builds always say.
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null | cut -c1-12)$(shell [ -n "$$(git status --porcelain 2>/dev/null)" ] && echo -dirty)
XVARS   := $(if $(COMMIT),lashview/internal/cli.commit=$(COMMIT))
LDFLAGS := $(patsubst %,-X %,$(XVARS))

# staticcheck, pinned; staticcheck.conf names the checks turned off and why.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# `fyne package` (module fyne.io/tools, pinned) builds the Linux tarball; it
# takes link flags only from GOFLAGS, one -ldflags= entry per flag.
FYNE_TOOLS := v1.7.4
FYNE       := dist/tools/fyne-$(FYNE_TOOLS)
TARBALL    := dist/lashview.tar.xz
SOURCES    := $(shell find . -path ./dist -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum -o -name FyneApp.toml -o -name icon.png \) -print)
APP_ID     := $(shell sed -n 's/^ *ID *= *"\(.*\)"/\1/p' FyneApp.toml 2>/dev/null)

# What a fresh Debian machine lacks to build a Fyne program (cgo, GL, X11)
# and the libjpeg-turbo the thumbnailer uses.
BUILD_PKGS := gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libjpeg62-turbo-dev
# What the tests of the real window need besides: an X server without a
# screen, screenshots, and an XDND drag source; and a PostgreSQL server
# (initdb, pg_ctl, psql) for the sessions package's private test server.
TEST_PKGS := xvfb xauth x11-apps x11-utils xdotool python3 python3-xlib imagemagick \
	postgresql

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run build test check deps test-deps bench clean package install

run: build
	./lashview

build: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o lashview .

# test runs the checks, then every test. The tests that run lashview as a
# process (internal/cli, tests/, watcher/) share one binary, built here.
test: deps test-deps check
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; set -x; \
	$(GO) build -ldflags '$(LDFLAGS)' -o "$$dir/lashview" .; \
	LASHVIEW_TEST_BINARY="$$dir/lashview" $(GO) test -race -timeout 30m -count=1 ./...

# check fails when go.mod or go.sum is not tidy, a file is not gofmt'ed, or
# go vet or staticcheck finds something; and when store, thumbs, watcher or
# the command line stop building for macOS (the README says why).
check:
	$(GO) mod tidy -diff
	@files=$$(gofmt -l .); if [ -n "$$files" ]; then echo "gofmt -l: not formatted:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...
	GOOS=darwin CGO_ENABLED=0 $(GO) vet ./store/ ./thumbs/ ./watcher/ ./internal/cli/ ./internal/format/
	$(GO) run $(STATICCHECK) ./...

# bench runs every benchmark against its same-run baseline and writes
# docs/benchmarks.md (vipsthumbnail, sha256sum and the sqlite3 shell are the
# outside baselines).
bench: deps test-deps
	@./.ci/install-packages libvips-tools coreutils sqlite3
	$(GO) run ./tests/benchtable -out docs/benchmarks.md

# deps installs only what is missing, so it costs nothing the second time.
deps:
	@./.ci/install-packages $(BUILD_PKGS)

test-deps:
	@./.ci/install-packages $(TEST_PKGS)

# package builds dist/lashview.tar.xz (binary, .desktop file, icon under
# usr/local/ or usr/) from source with `fyne package -release`. fyne counts
# Build up in FyneApp.toml after every package; the Makefile puts the file
# back, so Build changes only when a person edits it.
package: deps $(FYNE)
	@mkdir -p dist
	@cp -p FyneApp.toml dist/.FyneApp.toml.keep
	GOFLAGS="$$($(GO) env GOFLAGS) $(patsubst %,-ldflags=-X=%,$(XVARS))" \
		$(FYNE) package -os linux -release -name lashview; \
		status=$$?; cp -p dist/.FyneApp.toml.keep FyneApp.toml; rm -f dist/.FyneApp.toml.keep; \
		[ $$status = 0 ] && mv lashview.tar.xz $(TARBALL) && echo "built $(TARBALL)"; exit $$status

$(FYNE):
	@mkdir -p dist/tools
	GOBIN=$(CURDIR)/dist/tools $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS)
	mv dist/tools/fyne $@

$(TARBALL): $(SOURCES)
	$(MAKE) package

# install puts the packaged binary, desktop file and icon under
# $(DESTDIR)$(PREFIX): bin/lashview, share/applications/$(APP_ID).desktop,
# share/pixmaps/$(APP_ID).png, from the tarball (built first if it is
# missing or older than the sources). Outside /usr and /usr/local the desktop
# file names the binary and the icon by their full paths, since PREFIX/bin is
# rarely on PATH and PREFIX/share is rarely in XDG_DATA_DIRS.
install: $(TARBALL)
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tar -xJf $(TARBALL) -C "$$tmp"; \
	usr=$$(echo "$$tmp"/lashview/usr); [ -d "$$usr/local/bin" ] && usr=$$usr/local; \
	install -Dm0755 "$$usr/bin/lashview" "$(DESTDIR)$(PREFIX)/bin/lashview"; \
	install -Dm0644 "$$usr/share/pixmaps/$(APP_ID).png" "$(DESTDIR)$(PREFIX)/share/pixmaps/$(APP_ID).png"; \
	install -Dm0644 "$$usr/share/applications/$(APP_ID).desktop" "$(DESTDIR)$(PREFIX)/share/applications/$(APP_ID).desktop"; \
	case "$(PREFIX)" in /usr|/usr/local) ;; \
	*) sed -i -e 's|^Exec=lashview|Exec=$(PREFIX)/bin/lashview|' -e 's|^Icon=.*|Icon=$(PREFIX)/share/pixmaps/$(APP_ID).png|' \
		"$(DESTDIR)$(PREFIX)/share/applications/$(APP_ID).desktop";; esac; \
	echo "installed lashview in $(DESTDIR)$(PREFIX)"

clean:
	rm -f lashview
	rm -rf dist
