# dangan — the two set-up commands are `make run` and `make test`.
BUILD ?= build
JOBS ?= 2
DB ?= sqlite:./data/dangan.db
LISTEN ?= 127.0.0.1:8080

.PHONY: all deps build run test unit api browser bench bench-service clean format

all: build

deps:
	@scripts/install-deps

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j$(JOBS) -- --no-print-directory

run: build
	@scripts/run-demo "$(DB)" "$(LISTEN)"

test: build
	@scripts/test-all

unit: build
	@$(BUILD)/dangan_unit

bench: build
	@bench/run-all
	@bench/run-service

# The service desk's benchmarks alone (short runs, both backends; BENCHMARKS.md).
bench-service: build
	@bench/run-service

format:
	@clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h')

clean:
	rm -rf $(BUILD)
