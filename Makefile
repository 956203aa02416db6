# lashview: `make run` opens the window on the default store, `make test`
# runs every test. Both install the Debian packages they need first.

GO      ?= go
PREFIX  ?= /usr/local
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml 2>/dev/null)
BUILD   := $(shell sed -n 's/^ *Build *= *\([0-9]*\)/\1/p' FyneApp.toml 2>/dev/null)
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(or $(VERSION),dev) -X main.build=$(or $(BUILD),0) -X main.commit=$(COMMIT)

# What a fresh Debian machine lacks to build a Fyne program (cgo, GL, X11)
# and the libjpeg-turbo the thumbnailer uses.
BUILD_PKGS := gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libjpeg62-turbo-dev
# What the tests of the real window need besides: an X server without a
# screen, screenshots, and an XDND drag source.
TEST_PKGS := xvfb xauth x11-apps xdotool python3 python3-xlib imagemagick

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run build test deps test-deps bench clean

run: build
	./lashview

build: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o lashview .

test: deps test-deps
	$(GO) vet ./...
	$(GO) test -race -timeout 30m -count=1 ./...

# bench runs every benchmark against its same-run baseline and writes
# docs/benchmarks.md (vipsthumbnail and sha256sum are the outside baselines).
bench: deps test-deps
	@./.ci/install-packages libvips-tools coreutils
	$(GO) run ./tests/benchtable -out docs/benchmarks.md

# deps installs only what is missing, so it costs nothing the second time.
deps:
	@./.ci/install-packages $(BUILD_PKGS)

test-deps:
	@./.ci/install-packages $(TEST_PKGS)

clean:
	rm -f lashview
