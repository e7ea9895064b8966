# sluice: run `just` for the demo, `just test` for every test.

guest_profile := "guest"
guest_dir := "target/wasm32-unknown-unknown/" + guest_profile

default: demo

# Build the destination components into modules/ (the default modules directory).
# They are built without WASI (see .cargo/config.toml); the hostile test guest
# is built both ways, since a partner's guest may link WASI.
guests:
    cargo build --profile {{guest_profile}} --target wasm32-unknown-unknown -p sluice-toplyne -p sluice-talon-one -p sluice-hostile
    cargo build --profile {{guest_profile}} --target wasm32-wasip2 -p sluice-hostile
    mkdir -p modules
    cp {{guest_dir}}/sluice_toplyne.wasm modules/toplyne.wasm
    cp {{guest_dir}}/sluice_talon_one.wasm modules/talon-one.wasm

# The JavaScript SDK's build tool (npm) and the JavaScript port of Toplyne.
guests-js:
    npm ci --prefix guests/sdk-js --no-audit --no-fund
    # tests/js.rs builds a new project with `npm install --offline`, which needs
    # the registry metadata of the SDK's dependencies; `npm ci` cached only their
    # tarballs. Cache the packages installed here (this platform's binding).
    cd guests/sdk-js && npm cache add $(node -p "Object.entries(require('./package-lock.json').packages).filter(([k]) => k && require('fs').existsSync(k)).map(([k, v]) => k.slice('node_modules/'.length) + '@' + v.version).join(' ')")
    npm ci --prefix guests/toplyne-js --no-audit --no-fund
    npm run --prefix guests/toplyne-js build

# Build the guests and the release sluice binary.
build: guests
    cargo build --release -p sluice

# Run sample events through both destinations in dry-run and show the requests.
demo: build
    ./target/release/sluice perform toplyne sendEvents --dry-run --settings @examples/toplyne.settings.json --event @examples/track.json
    ./target/release/sluice perform toplyne sendUserProfiles --dry-run --settings @examples/toplyne.settings.json --event @examples/identify.json
    ./target/release/sluice perform talon-one updateCustomerProfileV3 --dry-run --settings @examples/talon-one.settings.json --event @examples/identify.json
    ./target/release/sluice perform talon-one trackEventV2 --dry-run --settings @examples/talon-one.settings.json --event @examples/track.json
    ./target/release/sluice send --dry-run --config examples/sluice.toml --event @examples/events.ndjson

# The official Segment clients tests/serve.rs runs against `sluice serve` (npm and PyPI).
test-clients:
    [ -d tests/clients/node_modules/@segment/analytics-node ] || npm ci --prefix tests/clients --no-audit --no-fund
    python3 -c "import segment.analytics" 2>/dev/null || python3 -m pip install --quiet segment-analytics-python==2.3.4

# Every test: unit tests (core, host, guests' pure code) and the integration tests in tests/.
test: guests guests-js test-clients
    cargo test --workspace
    # The guest SDK must be publishable on its own (it ships its WIT).
    cargo package -p sluice-guest --allow-dirty --quiet

# The reference conformance suite (needs ../shared).
conformance: build
    python3 ../shared/conformance/check.py

# The same suite through the JavaScript port of Toplyne (its 36 cases).
conformance-js: build guests-js
    mkdir -p target/js-modules
    cp guests/toplyne-js/dist/toplyne.wasm target/js-modules/toplyne.wasm
    python3 ../shared/conformance/check.py --sluice "target/release/sluice --modules target/js-modules" --only toplyne

# End to end against the reference (needs ../shared/bench with `npm ci` run there),
# then the cost of one perform with a fresh instance and per event batched.
bench: build
    python3 bench/e2e.py --events 20000 --concurrency 256
    ./target/release/sluice bench toplyne sendEvents --settings '{"apiKey":"bench-key"}' --event @examples/track.json --calls 20000
    ./target/release/sluice bench talon-one trackEventV2 --settings @examples/talon-one.settings.json --event @examples/track.json --calls 20000

# The JavaScript port of Toplyne, for the cost of a JavaScript guest.
bench-js: build guests-js
    ./target/release/sluice bench guests/toplyne-js/dist/toplyne.wasm sendEvents --settings '{"apiKey":"bench-key"}' --event @examples/track.json --calls 3000
