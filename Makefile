# alprd: every CI step is a target here. `make test` and `make demo` are the
# two commands a new engineer needs; both install what is missing first.

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN ?= bin
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X alprd/firmware/unit.Version=$(VERSION)
DEBS := libtesseract-dev libleptonica-dev tesseract-ocr-eng mosquitto systemd tmux
DEMO_SECONDS ?= 0

DATASETS ?= ../shared/datasets

.PHONY: all deps build test test-fips test-long vet bench eval demo cross plate-model glyph-templates glyph-net clean tidy-check

all: build

# install-debs installs the Debian packages $(1) that are missing, as root;
# otherwise it prints the command and fails. $(2) names the target.
define install-debs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "$(2): installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "$(2): missing Debian packages; run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
endef

# deps installs the Debian packages the build and the tests need, when missing.
deps:
	$(call install-debs,$(DEBS),deps)
	@command -v $(GO) >/dev/null || { echo "deps: Go 1.26 is not on PATH"; exit 1; }

build: deps
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./firmware/cmd/alprd ./tools/...

vet: deps
	$(GO) vet ./...
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi

test: deps vet
	$(GO) test -race -timeout 10m ./...

# test-fips: the envelope in FIPS 140-only mode: module v1.26.0 (all tests),
# then the certified v1.0.0, which refuses HPKE's AES-GCM (those tests skip, saying why).
test-fips: deps
	GOFIPS140=v1.26.0 GODEBUG=fips140=only $(GO) test -race ./firmware/envelope/
	GOFIPS140=v1.0.0 GODEBUG=fips140=only $(GO) test ./firmware/envelope/

# test-long: the uplink's durability tests: 20 kill -9s of the daemon, then a
# broker outage (ALPRD_OUTAGE, default 5m; e.g. ALPRD_OUTAGE=20s make test-long),
# against a real Mosquitto and the reference HQ receiver; ALPRD_SEED repeats the
# kill moments. About 7 minutes.
test-long: deps
	$(GO) test -tags long -race=false -timeout 40m -run 'TestKill9|TestBrokerOutage' -v ./firmware/cmd/alprd/

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 20m ./...

# eval measures the recognition engine with alpreval on the labelled photo
# sets in $(DATASETS) (one worker, as OpenALPR's reference figures); absent
# sets are skipped. The last line per set is alpreval's JSON summary. Then
# the frames again with their plates painted out (alpreval -blank): the
# reads of what is not a plate.
eval: build
	@for s in endtoend-us crops-us endtoend-eu endtoend-br; do \
	  if [ -d $(DATASETS)/$$s ]; then echo "== $$s"; $(BIN)/alpreval $(DATASETS)/$$s | tail -1; \
	  else echo "eval: $(DATASETS)/$$s absent, skipped"; fi; \
	done
	@for s in endtoend-us endtoend-eu endtoend-br; do \
	  if [ -d $(DATASETS)/$$s ]; then echo "== $$s, plates painted out"; $(BIN)/alpreval -blank $(DATASETS)/$$s | tail -1; fi; \
	done

# demo: the embedded broker, the daemon on the sim board replaying synthesized
# frames, and a subscriber printing each read. Ctrl-C stops it; DEMO_SECONDS=N
# stops it after N seconds.
demo: build
	$(BIN)/alprdemo -bin $(BIN) -seconds $(DEMO_SECONDS)

# plate-model retrains ocr/tess/model/plate.traineddata, the Tesseract LSTM
# plate model the reader embeds, from synthesized plates only (about 50 min on
# 2 cores; installs fonts and Tesseract's training tools when run as root).
# ALPRD_PLATE_OUT=FILE writes the model there instead, to compare it with
# alpreval before it replaces the embedded one.
plate-model: deps
	bash ocr/tess/train/train.sh

# glyph-templates redraws ocr/tess/model/glyphs.bin, the templates of every
# letter and digit in three monospaced faces that check the characters the
# LSTM models read, from Go Mono Bold and two Debian fonts (installed when
# missing, as root).
GLYPH_FONTS := fonts-dejavu-core fonts-b612
glyph-templates: deps
	$(call install-debs,$(GLYPH_FONTS),glyph-templates)
	ALPRD_GLYPHS_OUT=$(CURDIR)/ocr/tess/model/glyphs.bin $(GO) test -count=1 -run '^TestGlyphTemplates$$' ./ocr/tess

# glyph-net retrains ocr/tess/model/glyphnet.bin, the small networks that
# classify a character's glyph (see ocr/tess/glyphnet.go), from synthesized
# plates and letters drawn in Go's fonts and those of the Debian packages below
# (installed when missing, as root); deterministic, about 3 minutes.
NET_FONTS := fonts-dejavu-core fonts-dejavu-extra fonts-b612 fonts-urw-base35 fonts-liberation \
	fonts-freefont-ttf fonts-ocr-b fonts-hack fonts-opendin fonts-roboto-unhinted \
	fonts-bebas-neue fonts-jura fonts-open-sans
glyph-net: deps
	$(call install-debs,$(NET_FONTS),glyph-net)
	ALPRD_GLYPHNET_OUT=$(CURDIR)/ocr/tess/model/glyphnet.bin $(GO) test -count=1 -timeout 30m -run '^TestGlyphNet$$' ./ocr/tess

# cross builds for Raspberry Pi OS 64-bit (linux/arm64).
cross:
	bash tools/cross/build.sh $(BIN)/arm64

tidy-check:
	$(GO) mod tidy && git diff --exit-code go.mod go.sum

clean:
	rm -rf $(BIN)
