# winnow: the two commands of the README, and a few more.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DOCS ?= 20000
DEMO_DIR ?= demo-out

.PHONY: setup demo test lint bench clean

$(BIN)/winnow: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --force-reinstall --no-deps fasttext-numpy2-wheel==0.9.2
	touch $(BIN)/winnow

setup: $(BIN)/winnow

# Set up, write a synthetic corpus, and curate it in local[*].
demo: setup
	$(BIN)/winnow synth --docs $(DEMO_DOCS) --output $(DEMO_DIR)/corpus
	$(BIN)/winnow run --config conf/default.yaml --input $(DEMO_DIR)/corpus/docs \
		--output $(DEMO_DIR)/curated --overwrite

# Set up and run the whole test suite (real Spark, real files).
test: setup
	$(BIN)/ruff check lib jobs tests bench
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check lib jobs tests bench

clean:
	rm -rf $(DEMO_DIR) build dist *.egg-info lib/*.egg-info
