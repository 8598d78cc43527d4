#!/bin/sh
# The binaries as they are packaged, in target/dist/, stripped: ticketd and tkt as cargo
# builds them, and mailgate statically linked. mailgate starts once per message; with
# dynamic linking the loader and the libraries' start-up are about a third of its cost
# (docs/BENCHMARKS.md).
#
# The static mailgate resolves host names (for --url http://NAME:PORT) through the glibc it
# was built with: use an IP address in --url, or the dynamic target/release/mailgate, when
# it runs on a machine with another glibc.
#
# Only the copies in target/dist are stripped (STRIP=... names another strip): the release
# build in target/release keeps its symbol names for backtraces and profilers.
set -eu
cd "$(dirname "$0")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --locked --release --bin ticketd --bin tkt
# an explicit --target keeps the static flag away from build scripts and proc-macros
cargo build --locked --release --bin mailgate --target "$host" \
    --config "target.$host.rustflags = [\"-C\", \"target-feature=+crt-static\"]"
mkdir -p target/dist
cp target/release/ticketd target/release/tkt "target/$host/release/mailgate" target/dist/
"${STRIP:-strip}" target/dist/ticketd target/dist/tkt target/dist/mailgate
echo "target/dist: ticketd, tkt, mailgate (static), stripped"
