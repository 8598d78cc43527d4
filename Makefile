# ticketd: build, install, package. docs/ADMIN.md (Install) says which way to choose.
#
#   make                      release build (target/release/{ticketd,mailgate,tkt})
#   make install              as root: binaries, example config, systemd units, docs
#   make uninstall            removes what `make install` put there, except the config
#   make dist                 stripped binaries in target/dist/ (contrib/build-dist.sh)
#   make deb                  the Debian package in target/debian/ (cargo-deb)
#
# PREFIX (default /usr/local) and DESTDIR (staging root) as usual. The systemd units go to
# $(PREFIX)/lib/systemd/system, which systemd reads for /usr/local and /usr; their paths
# to the binaries are rewritten to $(PREFIX)/bin. The config is always /etc/ticketd (the
# unit names it there) and is never overwritten.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/ticketd
CONFDIR = /etc/ticketd

CARGO ?= cargo
INSTALL ?= install
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BINS := ticketd mailgate tkt
BUILT := $(addprefix $(TARGET_DIR)/release/,$(BINS))
UNITS := ticketd.service ticketd-backup.service ticketd-backup.timer
DOCS := README.md docs/ADMIN.md docs/RULES.md

# The units name the Debian package's paths; installed elsewhere, they name these.
REWRITE_UNIT = sed -e 's|/usr/bin/ticketd|$(BINDIR)/ticketd|g' \
	-e 's|/usr/bin/tkt|$(BINDIR)/tkt|g' \
	-e 's|/usr/share/doc/ticketd|$(DOCDIR)|g'

.PHONY: all build install uninstall dist deb

all: build

build:
	$(CARGO) build --release --locked

# `make install` after `make` needs no cargo (root often has none): it builds only what is
# missing.
$(BUILT):
	$(CARGO) build --release --locked

install: $(BUILT)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(BUILT) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)
	for unit in $(UNITS); do \
		$(REWRITE_UNIT) contrib/systemd/$$unit > $(DESTDIR)$(SYSTEMDUNITDIR)/$$unit.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$unit.tmp && \
		mv $(DESTDIR)$(SYSTEMDUNITDIR)/$$unit.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$$unit || exit 1; \
	done
	$(INSTALL) -d -m 0755 $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -d -m 0755 $(DESTDIR)$(CONFDIR)
	@if [ -e $(DESTDIR)$(CONFDIR)/ticketd.toml ]; then \
		echo "$(DESTDIR)$(CONFDIR)/ticketd.toml exists: left as it is (the new example is etc/ticketd.toml)"; \
	elif getent group ticketd >/dev/null 2>&1; then \
		echo "$(INSTALL) -m 0640 -g ticketd etc/ticketd.toml $(DESTDIR)$(CONFDIR)/ticketd.toml"; \
		$(INSTALL) -m 0640 -g ticketd etc/ticketd.toml $(DESTDIR)$(CONFDIR)/ticketd.toml; \
	else \
		echo "$(INSTALL) -m 0644 etc/ticketd.toml $(DESTDIR)$(CONFDIR)/ticketd.toml  (no group ticketd yet)"; \
		$(INSTALL) -m 0644 etc/ticketd.toml $(DESTDIR)$(CONFDIR)/ticketd.toml; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(BINS))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	-rmdir $(DESTDIR)$(DOCDIR)
	@echo "kept: $(DESTDIR)$(CONFDIR)/ticketd.toml and the data (server.data_dir)"

dist:
	sh contrib/build-dist.sh

deb:
	$(CARGO) deb --locked
