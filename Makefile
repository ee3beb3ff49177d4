# winnow: the two commands of the README, and a few more.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DOCS ?= 20000
DEMO_DIR ?= demo-out

.PHONY: setup jars demo test lint bench clean

$(BIN)/winnow: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --force-reinstall --no-deps fasttext-numpy2-wheel==0.9.2
	touch $(BIN)/winnow

setup: $(BIN)/winnow

# Spark's S3A connector for s3a:// (hadoop-aws of pyspark's Hadoop, the AWS SDK v2
# modules it calls, spark-hadoop-cloud; ~13 MB, conf/jars/s3a.pom.xml) from Maven
# Central, cached: a second `make jars` does nothing. winnow.objectstore reads the same
# directory (WINNOW_JARS_DIR overrides ~/.cache/winnow/jars).
WINNOW_JARS_DIR ?= $(HOME)/.cache/winnow/jars
S3A_JARS := $(WINNOW_JARS_DIR)/s3a-hadoop-3.4.2
jars: $(S3A_JARS)/.complete

$(S3A_JARS)/.complete: conf/jars/s3a.pom.xml
	rm -rf $(S3A_JARS).part
	mvn -q -B -f conf/jars/s3a.pom.xml dependency:copy-dependencies -DincludeScope=runtime \
		-DexcludeGroupIds=io.netty,org.slf4j,commons-logging,commons-codec,org.apache.httpcomponents \
		-DoutputDirectory=$(S3A_JARS).part
	rm -rf $(S3A_JARS) && mv $(S3A_JARS).part $(S3A_JARS) && touch $@

# Set up, write a synthetic corpus, curate it in local[*] with conf/recipes/demo.yaml
# (LID, Gopher, C4, FineWeb, exact and MinHash dedup: no files of your own), and write
# the HTML report beside the output (its path is printed last).
demo: setup
	$(BIN)/winnow synth --docs $(DEMO_DOCS) --output $(DEMO_DIR)/corpus
	$(BIN)/winnow run --config conf/recipes/demo.yaml --input $(DEMO_DIR)/corpus/docs \
		--output $(DEMO_DIR)/curated --overwrite
	$(BIN)/winnow report $(DEMO_DIR)/curated

# Set up and run the whole test suite (real Spark, real files).
test: setup jars
	$(BIN)/ruff check lib jobs tests bench
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check lib jobs tests bench

clean:
	rm -rf $(DEMO_DIR) build dist *.egg-info lib/*.egg-info
